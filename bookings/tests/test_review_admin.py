"""Staff moderate reviews in the admin: a confirmation page with a required reason, through the
same service (audit row, rating, email to the author)."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import make_user
from bookings.models import Review, ReviewModeration
from bookings.services import review_create
from bookings.tests.factories import make_booking
from gigsta.tests.helpers import tasks_run

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:bookings_review_changelist"


@pytest.fixture
def review(client_user, provider, service) -> Review:
    booking = make_booking(client=client_user, service=service, to_state="completed")
    review = review_create(booking=booking, author=client_user, rating=2, comment="Call me on 0176 123456")
    review_create(booking=booking, author=provider, rating=5)
    tasks_run()
    mail.outbox.clear()
    return Review.objects.get(pk=review.pk)


def test_the_list_shows_state_people_and_booking_with_search_and_filters(client, staff_user, review):
    client.force_login(staff_user)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert review.booking.reference in page
    assert reverse("admin:bookings_booking_change", args=[review.booking_id]) in page
    assert "Carla Client" in page and "Pete Provider" in page
    assert "By published" in page and "By hidden by staff" in page and "By rating" in page
    assert review.booking.reference in client.get(reverse(CHANGELIST), {"q": "0176"}).content.decode()
    assert review.booking.reference not in client.get(reverse(CHANGELIST), {"hidden": "yes"}).content.decode()
    response = client.get(reverse("admin:bookings_review_change", args=[review.pk]))
    assert response.status_code == 200


def test_hide_asks_for_a_reason_then_hides_records_and_emails(client, staff_user, review, provider):
    client.force_login(staff_user)
    url = reverse(CHANGELIST)
    ask = client.post(url, {"action": "hide_reviews", "_selected_action": [review.pk]})
    assert ask.status_code == 200 and "Hide with this reason" in ask.content.decode()
    review.refresh_from_db()
    assert review.hidden_at is None

    empty = client.post(
        url, {"action": "hide_reviews", "_selected_action": [review.pk], "confirm": "yes", "reason": " "}
    )
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    review.refresh_from_db()
    assert review.hidden_at is None and not ReviewModeration.objects.exists()

    done = client.post(
        url, {"action": "hide_reviews", "_selected_action": [review.pk], "confirm": "yes", "reason": "Phone number"}
    )
    assert done.status_code == 302
    review.refresh_from_db()
    assert review.hidden_at is not None and review.hidden_reason == "Phone number"
    [row] = ReviewModeration.objects.all()
    assert (row.action, row.staff, row.reason) == ("hide", staff_user, "Phone number")
    provider.provider_profile.refresh_from_db()
    assert provider.provider_profile.rating_count == 0
    tasks_run()
    [email] = mail.outbox
    assert email.to == ["carla@example.com"] and "Phone number" in email.body

    client.post(
        url, {"action": "unhide_reviews", "_selected_action": [review.pk], "confirm": "yes", "reason": "Appeal upheld"}
    )
    review.refresh_from_db()
    assert review.hidden_at is None
    provider.provider_profile.refresh_from_db()
    assert provider.provider_profile.rating_count == 1
    assert "Appeal upheld" in client.get(reverse("admin:bookings_review_change", args=[review.pk])).content.decode()


def test_staff_who_may_only_view_reviews_cannot_hide_them(client, review):
    viewer = make_user("viewer@example.com", "Vera Viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_review"))
    client.force_login(viewer)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200 and "hide_reviews" not in page.content.decode()
    client.post(
        reverse(CHANGELIST),
        {"action": "hide_reviews", "_selected_action": [review.pk], "confirm": "yes", "reason": "x"},
    )
    review.refresh_from_db()
    assert review.hidden_at is None and not ReviewModeration.objects.exists()
