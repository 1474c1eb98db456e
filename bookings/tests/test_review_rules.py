"""The review rules: the two-way blind rule (each side, both orders, the 14-day timer), ratings
from published and unhidden reviews only, one reply by the reviewed party, staff moderation."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import make_user
from bookings.models import MAX_REPLY_LENGTH, REVIEW_BLIND_DAYS, BookingEvent, Review, ReviewModeration
from bookings.selectors import booking_card, reviews_public
from bookings.services import (
    ReviewNotAllowed,
    review_create,
    review_hide,
    review_publish_at,
    review_reply,
    review_unhide,
    reviews_publish_due,
)
from bookings.tests.factories import at, make_booking
from catalog.models import Listing
from gigsta.tests.helpers import tasks_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(client_user, service):
    return make_booking(client=client_user, service=service, to_state="completed")


def readable(booking, user) -> list[str]:
    """The comments `user` can read on the booking page."""
    card = booking_card(booking=booking, user=user, now=booking.ends_at)
    return [r.comment for r in card.reviews]


def rating(provider) -> tuple[Decimal, int]:
    provider.provider_profile.refresh_from_db()
    return provider.provider_profile.rating_avg, provider.provider_profile.rating_count


@pytest.mark.parametrize("first", ["client", "provider"])
def test_blind_until_both_have_reviewed_in_either_order(first, completed, client_user, provider):
    people = {"client": client_user, "provider": provider}
    second = "provider" if first == "client" else "client"
    early = review_create(booking=completed, author=people[first], rating=4, comment=f"by the {first}")
    assert early.published_at is None
    assert readable(completed, people[first]) == [f"by the {first}"]  # the author reads their own
    assert readable(completed, people[second]) == []  # the subject cannot: blind
    assert rating(provider) == (Decimal("0.00"), 0)
    assert not reviews_public().exists()

    late = review_create(booking=completed, author=people[second], rating=5, comment=f"by the {second}")
    early.refresh_from_db()
    assert late.published_at is not None and early.published_at == late.published_at  # together
    assert (
        sorted(readable(completed, client_user))
        == sorted(readable(completed, provider))
        == sorted(["by the client", "by the provider"])
    )
    client_rating = Decimal("4.00") if first == "client" else Decimal("5.00")
    assert rating(provider) == (client_rating, 1)  # the client's review of the provider only


def test_the_timer_publishes_14_days_after_completion_once(completed, client_user, provider):
    review = review_create(booking=completed, author=client_user, rating=3, comment="Late start")
    completed_at = BookingEvent.objects.get(booking=completed, to_state="completed").created_at
    assert review_publish_at(completed) == completed_at + dt.timedelta(days=REVIEW_BLIND_DAYS)

    assert reviews_publish_due(now=completed_at + dt.timedelta(days=REVIEW_BLIND_DAYS, seconds=-1)) == 0
    review.refresh_from_db()
    assert review.published_at is None and readable(completed, provider) == []

    due = completed_at + dt.timedelta(days=REVIEW_BLIND_DAYS)
    assert reviews_publish_due(now=due) == 1
    review.refresh_from_db()
    assert review.published_at == due
    assert readable(completed, provider) == ["Late start"]
    assert rating(provider) == (Decimal("3.00"), 1)
    assert reviews_publish_due(now=due + dt.timedelta(minutes=1)) == 0  # idempotent
    review.refresh_from_db()
    assert review.published_at == due
    # The provider may still review afterwards; theirs is published at once, the client's stays as it was.
    theirs = review_create(booking=completed, author=provider, rating=5, now=due + dt.timedelta(days=1))
    assert theirs.published_at == due + dt.timedelta(days=1)


def test_run_timers_publishes_what_is_due(completed, client_user, provider):
    review = review_create(booking=completed, author=client_user, rating=2)
    call_command("run_timers", stdout=io.StringIO())
    review.refresh_from_db()
    assert review.published_at is None  # completed just now
    # The booking was completed 15 days ago.
    BookingEvent.objects.filter(booking=completed, to_state="completed").update(
        created_at=timezone.now() - dt.timedelta(days=REVIEW_BLIND_DAYS + 1)
    )
    out = io.StringIO()
    call_command("run_timers", stdout=out)
    assert "1 blind reviews published" in out.getvalue()
    review.refresh_from_db()
    assert review.published_at is not None and rating(provider) == (Decimal("2.00"), 1)
    call_command("run_timers", stdout=(again := io.StringIO()))
    assert "0 blind reviews published" in again.getvalue()


def test_search_listing_carries_published_ratings_only(completed, client_user, provider, service):
    review_create(booking=completed, author=client_user, rating=2)
    assert Listing.objects.get(service=service).rating_count == 0
    review_create(booking=completed, author=provider, rating=5)
    listing = Listing.objects.get(service=service)
    assert (listing.rating_avg, listing.rating_count) == (Decimal("2.00"), 1)


# --- replies ---------------------------------------------------------------------------


def _published(booking, client_user, provider):
    review = review_create(booking=booking, author=client_user, rating=4, comment="Good")
    review_create(booking=booking, author=provider, rating=5)
    review.refresh_from_db()
    return review


def test_the_subject_replies_once_to_a_published_review(completed, client_user, provider, stranger):
    blind = review_create(booking=completed, author=client_user, rating=4, comment="Good")
    with pytest.raises(ReviewNotAllowed):
        review_reply(review=blind, author=provider, reply="Thanks!")  # not published yet
    review_create(booking=completed, author=provider, rating=5)
    review = Review.objects.get(pk=blind.pk)
    for who in (client_user, stranger):
        with pytest.raises(PermissionDenied):
            review_reply(review=review, author=who, reply="Me too")
    for text in ("", "   ", "x" * (MAX_REPLY_LENGTH + 1), "nul\x00"):
        with pytest.raises(ValidationError):
            review_reply(review=review, author=provider, reply=text)
    review.refresh_from_db()
    assert review.reply == "" and review.replied_at is None

    replied = review_reply(review=review, author=provider, reply="  Thanks, Carla!  ")
    assert (replied.reply, replied.replied_at is not None) == ("Thanks, Carla!", True)
    with pytest.raises(ReviewNotAllowed):
        review_reply(review=review, author=provider, reply="And again")
    review.refresh_from_db()
    assert review.reply == "Thanks, Carla!"


def test_no_reply_to_a_hidden_review(completed, client_user, provider, staff_user):
    review = _published(completed, client_user, provider)
    review_hide(review=review, staff=staff_user, reason="Personal data")
    with pytest.raises(ReviewNotAllowed):
        review_reply(review=review, author=provider, reply="Thanks")


# --- moderation -------------------------------------------------------------------------


def test_hiding_takes_the_review_out_of_ratings_records_it_and_tells_the_author(
    completed, client_user, provider, staff_user, service
):
    review = _published(completed, client_user, provider)
    assert rating(provider) == (Decimal("4.00"), 1)
    tasks_run()
    mail.outbox.clear()

    assert review_hide(review=review, staff=staff_user, reason="Names another client") is True
    review.refresh_from_db()
    assert review.hidden_at is not None and review.hidden_reason == "Names another client"
    assert rating(provider) == (Decimal("0.00"), 0)
    assert Listing.objects.get(service=service).rating_count == 0
    assert review not in reviews_public()
    assert "Good" not in readable(completed, provider)
    assert readable(completed, client_user)[0] == "Good"  # the author still reads it, with the reason
    [moderation] = ReviewModeration.objects.filter(review=review)
    assert (moderation.action, moderation.reason, moderation.staff) == ("hide", "Names another client", staff_user)

    assert mail.outbox == []  # queued with the change, sent by the worker
    tasks_run()
    [email] = mail.outbox
    assert email.to == [client_user.email]
    assert "hidden" in email.subject and "Names another client" in email.body

    assert review_hide(review=review, staff=staff_user, reason="Again") is False  # no second record
    assert ReviewModeration.objects.count() == 1

    assert review_unhide(review=review, staff=staff_user, reason="Client fixed it with us") is True
    review.refresh_from_db()
    assert review.hidden_at is None and review.hidden_reason == ""
    assert rating(provider) == (Decimal("4.00"), 1)
    assert list(ReviewModeration.objects.values_list("action", flat=True)) == ["hide", "unhide"]


def test_only_staff_who_may_change_reviews_moderate_and_a_reason_is_required(
    completed, client_user, provider, staff_user
):
    review = _published(completed, client_user, provider)
    plain_staff = make_user("ops@example.com", "Olga Ops", is_staff=True)
    for who in (client_user, provider, plain_staff):
        with pytest.raises(PermissionDenied):
            review_hide(review=review, staff=who, reason="Spam")
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(ValidationError):
            review_hide(review=review, staff=staff_user, reason=reason)
    review.refresh_from_db()
    assert review.hidden_at is None and not ReviewModeration.objects.exists()

    plain_staff.user_permissions.add(Permission.objects.get(codename="change_review"))
    plain_staff = type(plain_staff).objects.get(pk=plain_staff.pk)  # permissions are cached per instance
    assert review_hide(review=review, staff=plain_staff, reason="Spam") is True


def test_a_second_booking_s_blind_review_does_not_count_before_publication(service, provider, client_user):
    first = make_booking(client=client_user, service=service, to_state="completed")
    _published(first, client_user, provider)
    dora = make_user("dora@example.com", "Dora Dancer")
    second = make_booking(client=dora, service=service, to_state="completed", starts_at=at(40))
    review_create(booking=second, author=dora, rating=1)
    assert rating(provider) == (Decimal("4.00"), 1)
