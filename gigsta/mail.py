"""Every email is a task. Django's EMAIL_BACKEND is `TaskEmailBackend`: `send_mail` and
allauth's emails enqueue an `email_send` task instead of talking to a mail server, in the
transaction of the change they belong to; the worker delivers it through the backend the
environment names (settings.EMAIL_DELIVERY_BACKEND), retrying while the server is down.
A request never waits on, or fails because of, the mail server."""

import base64
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from gigsta.tasks import outbound


def _one_line(text: str) -> str:
    """Header values are one line: a line break in a title or a note must not break the mail."""
    return " ".join(str(text).split())


def message_to_json(message: EmailMultiAlternatives) -> dict:
    """Everything a message is, as JSON for the task's arguments (attachments base64)."""
    return {
        "subject": _one_line(message.subject),
        "body": str(message.body),
        "content_subtype": message.content_subtype,
        "from_email": _one_line(message.from_email),
        "to": [_one_line(a) for a in message.to],
        "cc": [_one_line(a) for a in message.cc],
        "bcc": [_one_line(a) for a in message.bcc],
        "reply_to": [_one_line(a) for a in message.reply_to],
        "headers": {_one_line(k): _one_line(v) for k, v in message.extra_headers.items()},
        "alternatives": [[str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])],
        "attachments": [_attachment_to_json(a) for a in message.attachments],
    }


def _attachment_to_json(attachment) -> list:
    if isinstance(attachment, MIMEBase):
        raise ValueError("Queue attachments as (filename, content, mimetype), not as MIME parts.")
    filename, content, mimetype = attachment
    data = content.encode() if isinstance(content, str) else content
    return [filename, base64.b64encode(data).decode(), mimetype]


def message_from_json(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    message.content_subtype = data.get("content_subtype", "plain")
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    for filename, content, mimetype in data.get("attachments", []):
        message.attach(filename, base64.b64decode(content), mimetype)
    return message


@outbound
def email_send(message: dict) -> None:
    """Deliver one email. Raises while the mail server is unreachable, so the task is retried."""
    with get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False) as connection:
        connection.send_messages([message_from_json(message)])


class TaskEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            email_send.enqueue(message_to_json(message))
        return len(email_messages)
