"""Staff read each calendar import and its busy times in the admin; they do not change them."""

from django.urls import reverse

from calendars.services import busy_import_save
from calendars.tests.helpers import ics_of, timed
from gigsta.tests.helpers import tasks_run


def test_staff_see_an_import_and_its_busy_times(client, staff_user, provider, service, feed_server):
    from bookings.tests.factories import at

    feed_server.bodies["/me.ics"] = ics_of(timed("gig@example.com", at(3, 19), at(3, 21)))
    busy_import = busy_import_save(provider=provider, url=feed_server.url("/me.ics"))
    tasks_run()
    client.force_login(staff_user)
    listing = client.get(reverse("admin:calendars_busyimport_changelist"))
    assert listing.status_code == 200 and feed_server.url("/me.ics") in listing.content.decode()
    page = client.get(reverse("admin:calendars_busyimport_change", args=[busy_import.pk]))
    assert page.status_code == 200 and "Imported busy" in page.content.decode()
    assert client.get(reverse("admin:calendars_busyimport_delete", args=[busy_import.pk])).status_code == 403
