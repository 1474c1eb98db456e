"""Every email is a task. Django's EMAIL_BACKEND is `TaskEmailBackend`: `send_mail` and
allauth's emails enqueue an `email_send` task instead of talking to a mail server, in the
transaction of the change they belong to; the worker delivers it through the backend the
environment names (settings.EMAIL_DELIVERY_BACKEND), retrying while the server is down.
A request never waits on, or fails because of, the mail server."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from gigsta.tasks import outbound


def _one_line(text: str) -> str:
    """Header values are one line: a line break in a title or a note must not break the mail."""
    return " ".join(str(text).split())


def message_to_json(message: EmailMultiAlternatives) -> dict:
    return {
        "subject": _one_line(message.subject),
        "body": message.body,
        "from_email": _one_line(message.from_email),
        "to": [_one_line(a) for a in message.to],
        "cc": [_one_line(a) for a in message.cc],
        "bcc": [_one_line(a) for a in message.bcc],
        "reply_to": [_one_line(a) for a in message.reply_to],
        "headers": {_one_line(k): _one_line(v) for k, v in message.extra_headers.items()},
        "alternatives": [[content, mimetype] for content, mimetype in getattr(message, "alternatives", [])],
    }


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
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


@outbound
def email_send(message: dict) -> None:
    """Deliver one email. Raises while the mail server is unreachable, so the task is retried."""
    with get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False) as connection:
        connection.send_messages([message_from_json(message)])


class TaskEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            if message.attachments:
                raise ValueError("Emails with attachments cannot be queued yet.")
            email_send.enqueue(message_to_json(message))
        return len(email_messages)
