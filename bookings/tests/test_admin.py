import pytest
from django.urls import reverse

from bookings.tests.factories import make_booking

pytestmark = pytest.mark.django_db


def test_booking_admin_pages_load(client, staff_user, booking):
    client.force_login(staff_user)
    assert client.get(reverse("admin:bookings_booking_changelist")).status_code == 200
    response = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert response.status_code == 200
    assert b"request" in response.content  # the event inline


def test_staff_resolve_through_the_lifecycle(client, staff_user, service, client_user):
    booking = make_booking(client=client_user, service=service, to_state="disputed")
    client.force_login(staff_user)
    url = reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_release"])
    client.post(url, {"note": "The photos arrived; the client was mistaken."})
    booking.refresh_from_db()
    assert booking.state == "completed"
    event = booking.events.last()
    assert (event.action, event.source, event.actor) == ("resolve_release", "admin", staff_user)
    assert event.note == "Dispute resolved, payment released: The photos arrived; the client was mistaken."


def test_staff_action_on_the_wrong_state_changes_nothing(client, staff_user, booking):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:bookings_booking_resolve", args=[booking.pk, "resolve_refund"]), {"note": "Refund it."}
    )
    assert response.status_code == 200
    assert "not possible while the booking is requested" in response.content.decode()
    booking.refresh_from_db()
    assert booking.state == "requested" and booking.events.count() == 1


def test_the_list_has_no_bulk_resolutions(client, staff_user, booking):
    client.force_login(staff_user)
    page = client.get(reverse("admin:bookings_booking_changelist")).content.decode()
    assert "resolve_refund" not in page and 'name="action"' not in page


def test_staff_read_the_thread_on_the_booking_with_its_files_and_cannot_edit_it(
    client, staff_user, booking, client_user
):
    from bookings.models import Message
    from bookings.services import message_create
    from bookings.tests.files import pdf

    message = message_create(booking=booking, author=client_user, body="The <b>DJ</b> never came.", files=[pdf()])
    client.force_login(staff_user)
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    assert "The &lt;b&gt;DJ&lt;/b&gt; never came." in page
    file_url = reverse("bookings:attachment", args=[booking.public_id, message.attachments.get().public_id])
    assert f'<a href="{file_url}">quote.pdf</a>' in page
    assert 'name="messages-0-body"' not in page  # shown, not editable
    assert client.get(file_url).status_code == 200
    assert Message.objects.get().body == "The <b>DJ</b> never came."


def test_staff_see_every_new_time_proposed_and_what_became_of_it(client, staff_user, booking, client_user):
    from bookings.services import reschedule_propose
    from bookings.tests.factories import at

    reschedule_propose(booking=booking, actor=client_user, starts_at=at(33), note="Venue moved")
    client.force_login(staff_user)
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    assert "Venue moved" in page and "Waiting for an answer" in page
