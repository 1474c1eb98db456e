import pytest
from django.urls import reverse

from accounts.tests.factories import session_queries
from inbox.models import Kind, Notification
from inbox.services import notifications_add

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def add(user, booking, n: int, kind=Kind.BOOKING) -> None:
    for i in range(n):
        notifications_add(recipients=[user], kind=kind, booking=booking, text=f"Note {i}")


def badge(content: bytes) -> str:
    html = content.decode()
    start = html.index('id="inbox-link"')
    return html[start : html.index("</a>", start)]


def test_the_inbox_lists_newest_first_and_links_to_each_booking(client, client_user, booking):
    add(client_user, booking, 3)
    client.force_login(client_user)
    response = client.get(reverse("inbox:list"))
    html = response.content.decode()
    assert html.index("Note 2") < html.index("Note 1") < html.index("Note 0")
    assert html.count(f'href="/bookings/{booking.public_id}/"') == 3
    assert 'data-testid="inbox-count">3<' in badge(response.content)


def test_an_empty_inbox_says_so(client, client_user):
    client.force_login(client_user)
    response = client.get(reverse("inbox:list"))
    assert 'data-testid="inbox-empty"' in response.content.decode()
    assert "inbox-count" not in badge(response.content)


def test_the_inbox_is_paginated(client, client_user, booking):
    add(client_user, booking, 25)
    client.force_login(client_user)
    first = client.get(reverse("inbox:list")).content.decode()
    second = client.get(reverse("inbox:list"), {"page": 2}).content.decode()
    assert first.count('data-testid="notification"') == 20 and "Note 24" in first
    assert second.count('data-testid="notification"') == 5 and "Note 0" in second


@pytest.mark.parametrize("url", ["inbox:list", "bookings:list", "home"])
def test_the_inbox_page_and_the_badge_cost_the_same_with_3_or_30(
    client, client_user, booking, django_assert_num_queries, settings, url
):
    client.force_login(client_user)
    add(client_user, booking, 3)
    client.get(reverse(url))
    with django_assert_num_queries(n := len(capture(client, url))):
        assert client.get(reverse(url)).status_code == 200
    add(client_user, booking, 27)
    with django_assert_num_queries(n):
        response = client.get(reverse(url))
    assert 'data-testid="inbox-count">30<' in badge(response.content)
    if url == "inbox:list":  # user, page count, page with bookings, unread count (+ session)
        assert n == 4 + session_queries(settings)


def capture(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse(url))
    return queries.captured_queries


def test_the_badge_is_not_read_for_anonymous_visitors(client):
    sql = " ".join(q["sql"] for q in capture(client, "home"))
    assert "inbox_notification" not in sql
    assert "inbox-link" not in client.get(reverse("home")).content.decode()


def test_the_badge_is_one_query_on_a_page_that_shows_it(client, client_user):
    client.force_login(client_user)
    counts = [q["sql"] for q in capture(client, "bookings:list") if "inbox_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0].upper()


def test_mark_one_read_without_javascript(client, client_user, booking):
    add(client_user, booking, 2)
    first = Notification.objects.filter(recipient=client_user).last()
    client.force_login(client_user)
    response = client.post(reverse("inbox:read", args=[first.public_id]))
    assert response.status_code == 302 and response["Location"] == reverse("inbox:list")
    assert Notification.objects.filter(recipient=client_user, read_at__isnull=True).count() == 1
    first.refresh_from_db()
    assert first.read_at is not None


def test_mark_one_read_with_htmx_swaps_the_item_and_the_badge(client, client_user, booking):
    add(client_user, booking, 2)
    one = Notification.objects.filter(recipient=client_user).first()
    client.force_login(client_user)
    html = client.post(reverse("inbox:read", args=[one.public_id]), headers=HTMX).content.decode()
    assert f'id="notification-{one.public_id}"' in html and "notification--unread" not in html
    assert 'hx-swap-oob="true"' in html and 'data-testid="inbox-count">1<' in html


def test_mark_all_read(client, client_user, booking):
    add(client_user, booking, 3)
    client.force_login(client_user)
    response = client.post(reverse("inbox:read-all"), follow=True)
    assert not Notification.objects.filter(recipient=client_user, read_at__isnull=True).exists()
    assert "inbox-count" not in badge(response.content)
    htmx = client.post(reverse("inbox:read-all"), headers=HTMX).content.decode()
    assert 'id="inbox"' in htmx and "All read" in htmx


def test_no_one_marks_or_sees_another_users_notifications(client, client_user, stranger, booking):
    add(client_user, booking, 1)
    theirs = Notification.objects.get(recipient=client_user)
    client.force_login(stranger)
    assert client.post(reverse("inbox:read", args=[theirs.public_id])).status_code == 404
    client.post(reverse("inbox:read-all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "Note 0" not in client.get(reverse("inbox:list")).content.decode()


def test_marking_read_is_a_post(client, client_user, booking):
    add(client_user, booking, 1)
    client.force_login(client_user)
    assert client.get(reverse("inbox:read-all")).status_code == 405


def test_opening_a_booking_reads_what_the_inbox_says_of_it(client, provider, booking, service, client_user):
    from bookings.tests.factories import make_booking

    other = make_booking(
        client=client_user, service=service, starts_at=booking.starts_at.replace(year=booking.starts_at.year + 1)
    )
    client.force_login(provider)
    assert Notification.objects.filter(recipient=provider, read_at__isnull=True).count() == 2
    response = client.get(reverse("bookings:detail", args=[booking.public_id]))
    assert 'data-testid="inbox-count">1<' in badge(response.content)
    assert Notification.objects.get(recipient=provider, read_at__isnull=True).booking == other


def test_the_card_poll_brings_the_badge_out_of_band(client, provider, client_user, booking):
    from bookings.services import message_create

    client.force_login(provider)
    url = reverse("bookings:detail", args=[booking.public_id])
    client.get(url)  # reads the request's notification
    message_create(booking=booking, author=client_user, body="Hello")
    html = client.get(url, headers=HTMX).content.decode()
    assert 'id="inbox-link" class="inbox-link inbox-link--unread"' in html
    assert 'hx-swap-oob="true"' in badge(html.encode()) and 'data-testid="inbox-count">1<' in html
