"""GET/POST /api/bookings/{id}/messages (shared/API.md 1.1) and the files behind their `url`s."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import auth, post
from bookings.models import Message, MessageAttachment, ThreadReader
from bookings.services import message_create
from bookings.tests.files import HTML, PDF, image_bytes, pdf, png, upload
from gigsta.tests.helpers import tasks_run

pytestmark = pytest.mark.django_db


def url(booking) -> str:
    return reverse("api:booking_messages_api", args=[booking.public_id])


def test_a_party_posts_json_and_gets_the_message(client, client_user, booking):
    response = post(client, url(booking), {"body": "  Could you start at 19:00?  "}, client_user)
    assert response.status_code == 201
    body = response.json()
    message = Message.objects.get()
    assert body == {
        "id": str(message.public_id),
        "author": {"id": str(client_user.public_id), "display_name": "Carla Client"},
        "as_staff": False,
        "body": "Could you start at 19:00?",
        "attachments": [],
        "created_at": body["created_at"],
    }


def test_a_party_posts_files_as_multipart_and_downloads_them_with_its_token(client, provider, client_user, booking):
    response = client.post(
        url(booking), {"body": "Stage plan and quote", "files": [pdf(), png()]}, headers=auth(provider)
    )
    assert response.status_code == 201
    files = response.json()["attachments"]
    assert [(f["name"], f["content_type"], f["size"]) for f in files] == [
        ("quote.pdf", "application/pdf", len(PDF)),
        ("stage.png", "image/png", len(image_bytes("PNG"))),
    ]
    path = files[0]["url"].removeprefix("http://127.0.0.1:8000")
    assert path == reverse("api:booking_attachment_api", args=[booking.public_id, files[0]["id"]])
    download = client.get(path, headers=auth(client_user))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF and download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("send", "field"),
    [
        (lambda c, u, h: c.post(u, json.dumps({"body": ""}), content_type="application/json", headers=h), "body"),
        (lambda c, u, h: c.post(u, json.dumps({"body": " \n "}), content_type="application/json", headers=h), "body"),
        (lambda c, u, h: c.post(u, json.dumps({"body": None}), content_type="application/json", headers=h), "body"),
        (lambda c, u, h: c.post(u, json.dumps({}), content_type="application/json", headers=h), "body"),
        (lambda c, u, h: c.post(u, json.dumps(["hi"]), content_type="application/json", headers=h), "body"),
        (
            lambda c, u, h: c.post(u, json.dumps({"body": "x" * 2001}), content_type="application/json", headers=h),
            "body",
        ),
        (lambda c, u, h: c.post(u, json.dumps({"body": "a\x00b"}), content_type="application/json", headers=h), "body"),
        (lambda c, u, h: c.post(u, {"files": [pdf()]}, headers=h), "body"),
        (
            lambda c, u, h: c.post(
                u, {"body": "Invoice", "files": [upload("i.pdf", HTML, "application/pdf")]}, headers=h
            ),
            "files",
        ),
        (
            lambda c, u, h: c.post(
                u, {"body": "Photo", "files": [upload("p.png", b"\x89PNG\r\n\x1a\n" + b"x" * 99)]}, headers=h
            ),
            "files",
        ),
        (lambda c, u, h: c.post(u, {"body": "Many", "files": [pdf() for _ in range(5)]}, headers=h), "files"),
    ],
)
def test_bad_messages_are_422_naming_the_field_and_nothing_is_stored_or_sent(client, client_user, booking, send, field):
    tasks_run()
    mail.outbox.clear()
    response = send(client, url(booking), auth(client_user))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and body["errors"][0]["field"] == field and body["detail"]
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()
    tasks_run()
    assert mail.outbox == []


def test_a_body_that_is_not_json_is_400_in_the_error_shape(client, client_user, booking):
    response = client.post(url(booking), b"{not json", content_type="application/json", headers=auth(client_user))
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


def test_strangers_get_404_and_the_anonymous_401(client, stranger, client_user, booking):
    message = message_create(booking=booking, author=client_user, body="Private", files=[pdf()])
    file_url = reverse("api:booking_attachment_api", args=[booking.public_id, message.attachments.get().public_id])
    assert post(client, url(booking), {"body": "Hi"}, stranger).status_code == 404
    assert client.get(url(booking), headers=auth(stranger)).status_code == 404
    assert client.get(file_url, headers=auth(stranger)).json()["code"] == "not_found"
    assert client.post(url(booking), json.dumps({"body": "Hi"}), content_type="application/json").status_code == 401
    assert Message.objects.count() == 1


def test_staff_read_and_write_as_staff(client, staff_user, client_user, booking):
    message_create(booking=booking, author=client_user, body="Where is my refund?")
    assert client.get(url(booking), headers=auth(staff_user)).json()["count"] == 1
    response = post(client, url(booking), {"body": "We have asked the provider."}, staff_user)
    assert response.status_code == 201 and response.json()["as_staff"] is True


def test_the_list_is_oldest_first_and_paginated(client, client_user, provider, booking):
    for i in range(5):
        message_create(booking=booking, author=client_user if i % 2 else provider, body=f"Message {i}")
    answer = client.get(url(booking), {"page": 2, "page_size": 2}, headers=auth(client_user)).json()
    assert answer["count"] == 5 and (answer["page"], answer["page_size"]) == (2, 2)
    assert [m["body"] for m in answer["items"]] == ["Message 2", "Message 3"]
    assert client.get(url(booking), {"page_size": 101}, headers=auth(client_user)).status_code == 422


def test_reading_the_list_marks_what_it_showed_as_read(client, client_user, provider, booking):
    first = message_create(booking=booking, author=client_user, body="One")
    message_create(booking=booking, author=client_user, body="Two")
    client.get(url(booking), {"page_size": 1}, headers=auth(provider))
    assert ThreadReader.objects.get(booking=booking, user=provider).read_upto == first.created_at


def test_the_list_costs_the_same_queries_with_3_or_30_messages(
    client, client_user, provider, booking, django_assert_num_queries
):
    headers = auth(provider)

    def write(n):
        for i in range(n):
            message_create(booking=booking, author=client_user, body=f"M{i}", files=[png()] if i % 2 else [])

    write(3)
    client.get(url(booking), headers=headers)
    # token, booking, page of messages, their files, count, read mark
    with django_assert_num_queries(6):
        assert len(client.get(url(booking), {"page_size": 100}, headers=headers).json()["items"]) == 3
    write(27)
    with django_assert_num_queries(6):
        assert len(client.get(url(booking), {"page_size": 100}, headers=headers).json()["items"]) == 30


def test_an_idempotency_key_sends_a_message_once(client, client_user, booking):
    headers = {**auth(client_user), "Idempotency-Key": "msg-1"}
    first = client.post(url(booking), {"body": "Once", "files": [pdf()]}, headers=headers)
    again = client.post(url(booking), {"body": "Once", "files": [pdf()]}, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert Message.objects.count() == 1 and MessageAttachment.objects.count() == 1
