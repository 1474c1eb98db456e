"""Staff's dispute queue and the confirmation pages that resolve a dispute, on bookings paid by
bank transfer or cash (card bookings: payments/tests/test_admin.py)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import make_user, session_queries
from bookings.models import BookingEvent
from bookings.services import booking_transition, message_create
from bookings.tests.factories import at, make_booking
from bookings.tests.files import pdf
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db
# The booking's admin page (the dispute panel, events, thread, payments) and a confirmation page,
# besides reading the session (session_queries).
QUERIES_CHANGE = 15  # the new times proposed included
QUERIES_RESOLVE = 3


@pytest.fixture(autouse=True)
def _money(settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""  # bank transfer or cash
    settings.PLATFORM_FEE_PERCENT = 10


@pytest.fixture
def paid(client_user, provider):
    return make_service(provider, title="Wedding band", price_minor=120_000)


def _disputed(client_user, service, *, days_ago: int, note: str):
    """A manual booking paid in full whose gig ended `days_ago` days ago, disputed right after."""
    booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(1))
    ended = timezone.now() - dt.timedelta(days=days_ago)
    booking_transition(booking=booking, action="dispute", actor=client_user, note=note, now=booking.starts_at)
    BookingEvent.objects.filter(booking=booking, action="dispute").update(created_at=ended)
    return booking


def test_the_queue_lists_open_disputes_oldest_first_with_their_age(client, staff_user, client_user, paid, provider):
    newer = _disputed(client_user, paid, days_ago=1, note="Newer")
    older = _disputed(
        client_user, make_service(provider, title="Photographer", price_minor=50_000), days_ago=5, note="Older"
    )
    make_booking(client=client_user, service=paid, to_state="confirmed", starts_at=at(40))  # not disputed
    client.force_login(staff_user)
    url = reverse("admin:bookings_booking_changelist") + "?dispute=open"

    page = client.get(url).content.decode()

    assert "Open disputes" in page
    assert page.count('class="field-dispute_age"') == 2
    assert page.index("Photographer") < page.index("Wedding band")  # oldest first
    assert "5 days open" in page and "1 day open" in page
    assert "€1,200" in page and "€500" in page  # prices as money
    assert (
        f"/admin/bookings/booking/{older.pk}/change/" in page and f"/admin/bookings/booking/{newer.pk}/change/" in page
    )


def test_the_queue_page_takes_a_fixed_number_of_queries(
    client, staff_user, client_user, paid, django_assert_max_num_queries
):
    for days in (1, 2, 3):
        _disputed(client_user, paid if days == 1 else make_service(paid.provider, price_minor=10_000), days_ago=days,
                  note="x")  # fmt: skip
    client.force_login(staff_user)
    url = reverse("admin:bookings_booking_changelist") + "?dispute=open"
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200


def test_the_change_page_shows_the_dispute_the_money_and_the_resolutions(client, staff_user, client_user, paid):
    booking = _disputed(client_user, paid, days_ago=2, note="The singer was ill; a stand-in came.")
    client.force_login(staff_user)

    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()

    assert 'data-testid="dispute-panel"' in page
    assert "Dispute opened: The singer was ill; a stand-in came." in page
    assert "2 days open" in page
    assert "€1,200 by bank transfer or cash, straight to Pete Provider: GigSta holds none of it." in page
    assert "GigSta&#x27;s fee €120 (10 %)" in page or "GigSta's fee €120 (10 %)" in page
    assert "10 % of what the provider keeps" in page  # the booking's fee, not basis points
    for action in ("resolve_release", "resolve_refund", "resolve_partial"):
        assert reverse("admin:bookings_booking_resolve", args=[booking.pk, action]) in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page  # read-only: nothing to save
    for field in ("price_minor", "currency", "fee_bps", "state"):
        assert f'name="{field}"' not in page  # shown as text (money as money), never as an input


def test_the_confirmation_page_says_what_staff_can_and_cannot_enforce(client, staff_user, client_user, paid):
    booking = _disputed(client_user, paid, days_ago=2, note="Late.")
    client.force_login(staff_user)

    page = client.get(reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_partial"])).content.decode()

    assert "Paid by bank transfer or cash, straight to Pete Provider: GigSta never held it." in page
    assert "Pete Provider is told to refund it to Carla Client by bank transfer or cash." in page
    assert "GigSta cannot enforce it" in page
    assert 'name="amount"' in page and 'name="note"' in page and "csrfmiddlewaretoken" in page
    release = client.get(reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_release"]))
    assert "No money moves through GigSta" in release.content.decode()
    assert 'name="amount"' not in release.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"amount": "300", "note": ""}, "This field is required."),
        ({"amount": "", "note": "Late."}, "This field is required."),
        ({"amount": "0", "note": "Late."}, "Ensure this value is greater than or equal to 0.01."),
        ({"amount": "-5", "note": "Late."}, "Ensure this value is greater than or equal to 0.01."),
        ({"amount": "abc", "note": "Late."}, "Enter a number."),
        ({"amount": "1200.01", "note": "Late."}, "Refund at most €1,200"),
        ({"amount": "1.001", "note": "Late."}, "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_bad_input_comes_back_on_the_form_and_changes_nothing(client, staff_user, client_user, paid, data, error):
    booking = _disputed(client_user, paid, days_ago=2, note="Late.")
    events = booking.events.count()
    client.force_login(staff_user)

    response = client.post(reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_partial"]), data)

    assert response.status_code == 200
    assert error in response.content.decode()
    booking.refresh_from_db()
    assert booking.state == "disputed" and booking.events.count() == events


def test_confirming_part_back_resolves_through_the_lifecycle(client, staff_user, client_user, paid):
    booking = _disputed(client_user, paid, days_ago=2, note="Late.")
    client.force_login(staff_user)
    url = reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_partial"])

    response = client.post(url, {"amount": "300.50", "note": "Two hours late: a quarter back."})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:bookings_booking_change", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.state == "completed"
    event = booking.events.last()
    assert (event.action, event.source, event.actor, event.amount_minor) == (
        "resolve_partial", "admin", staff_user, 30_050,
    )  # fmt: skip
    assert event.note == "Dispute resolved, part refunded: €300.50 back to the client: Two hours late: a quarter back."
    # A second confirmation (another tab) is refused and says why.
    again = client.post(url, {"amount": "300.50", "note": "Again"})
    assert again.status_code == 200
    assert "not possible while the booking is completed" in again.content.decode()
    assert booking.events.filter(action="resolve_partial").count() == 1


def test_non_staff_are_sent_to_the_admin_login_and_nothing_changes(client, client_user, provider, paid):
    booking = _disputed(client_user, paid, days_ago=2, note="Late.")
    url = reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_refund"])
    for user in (None, client_user, provider):
        if user:
            client.force_login(user)
        for response in (client.get(url), client.post(url, {"note": "Mine now"})):
            assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    booking.refresh_from_db()
    assert booking.state == "disputed"


def test_staff_without_the_change_permission_are_refused(client, client_user, paid):
    booking = _disputed(client_user, paid, days_ago=2, note="Late.")
    viewer = make_user("viewer@example.com", "Vera Viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_booking"))
    client.force_login(viewer)
    url = reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_refund"])

    assert client.get(url).status_code == 403
    assert client.post(url, {"note": "Refund"}).status_code == 403
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    assert 'data-testid="dispute-panel"' in page and url not in page  # sees the dispute, not the buttons
    booking.refresh_from_db()
    assert booking.state == "disputed"


def test_a_post_without_the_csrf_token_is_refused(staff_user, client_user, paid):
    booking = _disputed(client_user, paid, days_ago=2, note="Late.")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    url = reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_refund"])

    assert browser.post(url, {"note": "Refund"}).status_code == 403
    booking.refresh_from_db()
    assert booking.state == "disputed"


def test_an_unknown_resolution_is_not_found(client, staff_user, client_user, paid):
    booking = _disputed(client_user, paid, days_ago=2, note="Late.")
    client.force_login(staff_user)
    assert client.get(reverse("admin:bookings_booking_resolve", args=[booking.pk, "cancel"])).status_code == 404
    assert client.get(reverse("admin:bookings_booking_resolve", args=[99999, "resolve_refund"])).status_code == 404


def test_staff_on_the_booking_page_are_sent_to_the_admin_instead_of_buttons(client, staff_user, client_user, paid):
    booking = _disputed(client_user, paid, days_ago=2, note="Late.")
    client.force_login(staff_user)

    page = client.get(reverse("bookings:detail", args=[booking.public_id])).content.decode()

    assert reverse("admin:bookings_booking_change", args=[booking.pk]) + "#dispute" in page
    assert 'data-testid="action-resolve_' not in page  # no one-click resolution without a note
    refused = client.post(reverse("bookings:action", args=[booking.public_id, "resolve_refund"]), follow=True)
    assert "Say why" in refused.content.decode()
    booking.refresh_from_db()
    assert booking.state == "disputed"


def test_the_dispute_pages_take_a_fixed_number_of_queries(
    client, staff_user, client_user, paid, django_assert_num_queries, settings
):
    session = session_queries(settings)
    booking = _disputed(client_user, paid, days_ago=2, note="Late.")
    message_create(booking=booking, author=client_user, body="The contract", files=[pdf("contract.pdf")])
    client.force_login(staff_user)
    change = reverse("admin:bookings_booking_change", args=[booking.pk])
    resolve = reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_partial"])
    client.get(change)  # warms the process's caches (content types), as any earlier request would
    with django_assert_num_queries(QUERIES_CHANGE + session):
        assert client.get(change).status_code == 200
    with django_assert_num_queries(QUERIES_RESOLVE + session):
        assert client.get(resolve).status_code == 200
    for n in range(3):  # a longer thread, with files, costs no more queries
        message_create(booking=booking, author=client_user, body=f"Evidence {n}", files=[pdf(f"e{n}.pdf")])
    with django_assert_num_queries(QUERIES_CHANGE + session):
        assert client.get(change).status_code == 200
