import pytest
from django.urls import reverse

from accounts.tests.factories import auth
from inbox.models import Kind, Notification
from inbox.services import notifications_add

pytestmark = pytest.mark.django_db
LIST, READ = reverse("api:notification_list_api"), reverse("api:notification_read_api")


def add(user, booking, n: int) -> list[Notification]:
    return [
        notifications_add(recipients=[user], kind=Kind.MESSAGE, booking=booking, text=f"Note {i}")[0] for i in range(n)
    ]


def test_the_list_has_items_count_and_unread(client, client_user, booking):
    add(client_user, booking, 3)
    Notification.objects.filter(text="Note 0").update(read_at="2026-01-01T00:00:00Z")
    body = client.get(LIST, headers=auth(client_user)).json()
    assert body["count"] == 3 and body["unread"] == 2
    assert [i["text"] for i in body["items"]] == ["Note 2", "Note 1", "Note 0"]
    item = body["items"][0]
    assert set(item) == {"id", "kind", "booking_id", "text", "created_at", "read_at"}
    assert item["booking_id"] == str(booking.public_id) and item["kind"] == "message" and item["read_at"] is None


def test_unread_only_and_pages(client, client_user, booking):
    add(client_user, booking, 5)
    Notification.objects.filter(text="Note 4").update(read_at="2026-01-01T00:00:00Z")
    body = client.get(LIST, {"unread": "true", "page_size": 2, "page": 2}, headers=auth(client_user)).json()
    assert body["count"] == 4 and body["unread"] == 4 and [i["text"] for i in body["items"]] == ["Note 1", "Note 0"]


def test_mark_some_then_all_read(client, client_user, booking):
    notes = add(client_user, booking, 3)
    response = client.post(
        READ, {"ids": [str(notes[0].public_id)]}, content_type="application/json", headers=auth(client_user)
    )
    assert response.status_code == 200 and response.json() == {"unread": 2}
    again = client.post(
        READ, {"ids": [str(notes[0].public_id)]}, content_type="application/json", headers=auth(client_user)
    )
    assert again.json() == {"unread": 2}  # a repeat changes nothing
    assert client.post(READ, {"all": True}, content_type="application/json", headers=auth(client_user)).json() == {
        "unread": 0
    }


def test_another_users_ids_are_ignored_and_their_list_is_not_shown(client, client_user, stranger, booking):
    [theirs] = add(client_user, booking, 1)
    response = client.post(
        READ, {"ids": [str(theirs.public_id)]}, content_type="application/json", headers=auth(stranger)
    )
    assert response.status_code == 200 and response.json() == {"unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(READ, {"all": True}, content_type="application/json", headers=auth(stranger))
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.get(LIST, headers=auth(stranger)).json() == {
        "items": [],
        "count": 0,
        "unread": 0,
        "page": 1,
        "page_size": 20,
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"all": False},
        {"ids": ["not-a-uuid"]},
        {"ids": None, "all": False},
        {"ids": [], "all": True},
        {"all": "yes"},
        {"ids": "x"},
    ],
)
def test_bad_bodies_are_422(client, client_user, body):
    response = client.post(READ, body, content_type="application/json", headers=auth(client_user))
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


def test_an_empty_id_list_marks_nothing(client, client_user, booking):
    add(client_user, booking, 1)
    assert client.post(READ, {"ids": []}, content_type="application/json", headers=auth(client_user)).json() == {
        "unread": 1
    }


def test_signed_out_is_401(client):
    assert client.get(LIST).status_code == 401
    assert client.post(READ, {"all": True}, content_type="application/json").status_code == 401
