"""A new time on the booking page: the form for either party (plain POST and htmx), the proposal
beside the booking's time for both, and the other party's Accept / Decline buttons."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.tests.factories import make_user, session_queries
from bookings.models import Booking, RescheduleProposal
from bookings.services import reschedule_propose
from bookings.tests.factories import at, make_booking
from gigsta.tests.helpers import tasks_due

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def confirmed(client_user, service):
    return make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(30))


def url(booking) -> str:
    return reverse("bookings:reschedule", args=[booking.public_id])


def detail_url(booking) -> str:
    return reverse("bookings:detail", args=[booking.public_id])


def new_time(when: dt.datetime, note: str = "") -> dict:
    local = when.astimezone(BERLIN)
    return {
        "reschedule-date": local.strftime("%Y-%m-%d"),
        "reschedule-start_time": local.strftime("%H:%M"),
        "reschedule-note": note,
    }


def untouched(booking) -> bool:
    fresh = Booking.objects.get(pk=booking.pk)
    return (
        (fresh.starts_at, fresh.reschedule_id, fresh.events.count())
        == (booking.starts_at, None, booking.events.count())
        and not RescheduleProposal.objects.exists()
        and not tasks_due().exists()
    )


class TestTheForm:
    @pytest.mark.parametrize("reader", ["client_user", "provider"])
    def test_both_parties_get_the_form_with_the_venue_time_and_what_changes(self, client, confirmed, reader, request):
        client.force_login(request.getfixturevalue(reader))
        response = client.get(detail_url(confirmed))
        html = response.content.decode()
        assert f'action="{url(confirmed)}"' in html and f'hx-post="{url(confirmed)}"' in html
        assert "Propose a new time" in html and "Only the time would change" in html
        assert "Local time in Berlin, Germany (Europe/Berlin); the gig keeps its length (3 h)" in html
        assert "reschedule" not in [a.name for a in response.context["card"].buttons]

    def test_without_javascript_a_proposal_is_sent_and_the_page_shows_it(self, client, client_user, confirmed):
        client.force_login(client_user)
        response = client.post(url(confirmed), new_time(at(37, 21), "Venue moved us"))
        assert response.status_code == 302 and response["Location"] == detail_url(confirmed)
        proposal = RescheduleProposal.objects.get()
        assert (proposal.starts_at, proposal.note, proposal.proposed_by) == (at(37, 21), "Venue moved us", client_user)
        page = client.get(detail_url(confirmed)).content.decode()
        assert "Done: Proposed a new time" in page
        assert "You proposed a new time" in page and "Pete Provider accepts or declines it" in page
        assert "Propose this time" not in page  # one open proposal at a time

    def test_htmx_gets_the_card_with_the_proposal_and_a_trigger(self, client, provider, confirmed):
        client.force_login(provider)
        response = client.post(url(confirmed), new_time(at(37)), headers=HTMX)
        assert response.status_code == 200 and "bookingChanged" in response["HX-Trigger"]
        assert 'data-testid="reschedule"' in response.content.decode()

    @pytest.mark.parametrize(
        ("data", "words"),
        [
            ({"reschedule-date": "", "reschedule-start_time": "20:00"}, "This field is required."),
            ({"reschedule-date": "2020-01-01", "reschedule-start_time": "20:00"}, "Pick a time in the future."),
            ({"reschedule-date": "not a date", "reschedule-start_time": "20:00"}, "Enter a valid date."),
            ({**new_time(at(37)), "reschedule-note": "x" * 1001}, "Ensure this value has at most 1000 characters"),
        ],
        ids=["missing", "past", "garbage", "long-note"],
    )
    def test_bad_input_comes_back_on_the_form_and_nothing_changes(self, client, client_user, confirmed, data, words):
        client.force_login(client_user)
        for headers in ({}, HTMX):
            response = client.post(url(confirmed), data, headers=headers)
            assert response.status_code == 200 and words in response.content.decode()
            assert response.context["reschedule_form"].errors
        assert untouched(confirmed)

    def test_a_taken_slot_is_said_on_the_form(self, client, client_user, confirmed, service):
        rival = make_user("rival@example.com", "Rival Client")
        make_booking(client=rival, service=service, to_state="accepted", starts_at=at(40))
        client.force_login(client_user)
        response = client.post(url(confirmed), new_time(at(40, 21)), headers=HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "The provider is already booked at that time. Try another date or time." in html
        assert untouched(confirmed)

    def test_strangers_get_404_and_staff_cannot_propose(self, client, confirmed, stranger, staff_user):
        client.force_login(stranger)
        assert client.post(url(confirmed), new_time(at(37))).status_code == 404
        client.force_login(staff_user)
        assert client.post(url(confirmed), new_time(at(37))).status_code == 403
        assert untouched(confirmed)

    def test_a_cancelled_booking_refuses_as_a_stale_page(self, client, client_user, service):
        cancelled = make_booking(client=client_user, service=service, to_state="cancelled", starts_at=at(50))
        client.force_login(client_user)
        response = client.post(url(cancelled), new_time(at(51)), headers=HTMX)
        assert (
            response.status_code == 200 and "not possible while the booking is cancelled" in response.content.decode()
        )
        assert not RescheduleProposal.objects.exists()


class TestTheAnswer:
    def test_the_other_party_sees_both_times_and_accepts_with_a_button(self, client, client_user, provider, confirmed):
        reschedule_propose(booking=confirmed, actor=client_user, starts_at=at(37, 21), note="Venue moved us")
        client.force_login(provider)
        response = client.get(detail_url(confirmed))
        html = response.content.decode()
        assert [a.name for a in response.context["card"].buttons] == [
            "cancel",
            "accept_reschedule",
            "decline_reschedule",
        ]
        assert "Carla Client proposes a new time" in html and "Venue moved us" in html
        now_at, proposed = at(30).astimezone(BERLIN), at(37, 21).astimezone(BERLIN)
        assert f"{now_at:%a} {now_at.day} {now_at:%b %Y, %H:%M}</time>\u201323:00" in html
        assert f"{proposed:%a} {proposed.day} {proposed:%b %Y, %H:%M}</time>\u201300:00" in html
        assert "Only the time changes: the price (€1,500)" in html
        response = client.post(
            reverse("bookings:action", args=[confirmed.public_id, "accept_reschedule"]), headers=HTMX
        )
        html = response.content.decode()
        assert response.status_code == 200 and 'data-testid="reschedule"' not in html
        assert f"{proposed:%a} {proposed.day} {proposed:%b %Y, %H:%M}" in html  # the head, out of band
        assert Booking.objects.get(pk=confirmed.pk).starts_at == at(37, 21)

    def test_the_proposer_sees_withdraw_not_accept(self, client, client_user, confirmed):
        reschedule_propose(booking=confirmed, actor=client_user, starts_at=at(37))
        client.force_login(client_user)
        card = client.get(detail_url(confirmed)).context["card"]
        assert [a.name for a in card.buttons] == ["cancel", "withdraw_reschedule"]
        response = client.post(reverse("bookings:action", args=[confirmed.public_id, "accept_reschedule"]))
        assert response.status_code == 302
        page = client.get(detail_url(confirmed)).content.decode()
        assert "You proposed this time: the other party accepts or declines it." in page
        assert Booking.objects.get(pk=confirmed.pk).starts_at == at(30)

    def test_a_deposit_booking_says_when_the_balance_falls_due_at_the_new_time(self, client, client_user, provider):
        from catalog.tests.factories import make_service

        service = make_service(provider, title="Deposit band", deposit_percent=30, balance_due_days=14)
        booking = make_booking(client=client_user, service=service, to_state="deposit_paid", starts_at=at(60))
        reschedule_propose(booking=booking, actor=provider, starts_at=at(70))
        client.force_login(client_user)
        html = client.get(detail_url(booking)).content.decode()
        due = (at(70) - dt.timedelta(days=14)).astimezone(BERLIN)
        assert f"the balance falls due 14 days before the new time, on {due.day} {due:%b %Y}" in html


@pytest.mark.parametrize("reader", ["client_user", "provider"])
def test_a_page_with_a_proposal_costs_what_any_booking_page_costs(
    client, confirmed, client_user, reader, request, django_assert_num_queries, settings
):
    reschedule_propose(booking=confirmed, actor=client_user, starts_at=at(37))
    client.force_login(request.getfixturevalue(reader))
    client.get(detail_url(confirmed))
    # user, booking (its proposal joined), events, ledger, thread, notifications read, unread count
    # (a booking never completed reads no reviews)
    with django_assert_num_queries(7 + session_queries(settings)):
        response = client.get(detail_url(confirmed))
    assert 'data-testid="reschedule"' in response.content.decode()


def test_the_booking_list_says_a_new_time_waits_and_for_whom(client, confirmed, client_user, provider):
    reschedule_propose(booking=confirmed, actor=client_user, starts_at=at(37, 21))
    proposed = at(37, 21).astimezone(BERLIN)
    words = f"New time proposed: {proposed:%a} {proposed.day} {proposed:%b %Y, %H:%M}"
    client.force_login(provider)
    assert f"{words}, for you to accept or decline" in client.get(reverse("bookings:list")).content.decode()
    client.force_login(client_user)
    assert f"{words} (by you)" in client.get(reverse("bookings:list")).content.decode()
