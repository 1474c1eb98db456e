import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.tests.factories import make_user
from catalog.models import BusyDay, ProviderPhoto, Service
from catalog.photos import provider_photo_add
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Acoustic duo",
    "category": "live-music",
    "description": "Guitar and voice.",
    "price": "650",
    "currency": "EUR",
    "duration_minutes": "120",
    "city": "Hamburg, Germany",
    "is_active": "on",
}


def test_dashboard_needs_a_provider(client, client_user):
    assert client.get(reverse("catalog:dashboard")).status_code == 302
    client.force_login(client_user)
    assert client.get(reverse("catalog:dashboard")).status_code == 403


def test_dashboard_lists_my_services_only(client, provider):
    make_service(provider, title="Mine")
    make_service(make_user("x@example.com", "X", role="provider"), title="Theirs")
    client.force_login(provider)
    response = client.get(reverse("catalog:dashboard"))
    assert [s.title for s in response.context["services"]] == ["Mine"]
    assert "Theirs" not in response.content.decode()


def test_create_service_from_the_form(client, provider):
    client.force_login(provider)
    response = client.post(reverse("catalog:service-new"), FORM)
    assert response.status_code == 302
    service = Service.objects.get()
    assert service.price_minor == 65000 and service.city == "Hamburg, Germany" and service.is_active


def test_create_service_errors_keep_input(client, provider):
    client.force_login(provider)
    response = client.post(reverse("catalog:service-new"), {**FORM, "price": "-3", "city": "Nowhere-on-Sea"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"price", "city"}
    assert 'value="Acoustic duo"' in response.content.decode()
    assert not Service.objects.exists()


def test_inline_edit_with_htmx(client, provider):
    service = make_service(provider)
    client.force_login(provider)
    url = reverse("catalog:service-edit", args=[service.public_id])
    form_html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in form_html and 'name="title"' in form_html
    response = client.post(url, {**FORM, "title": "Renamed duo"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Renamed duo" in response.content.decode() and "<html" not in response.content.decode()
    service.refresh_from_db()
    assert service.title == "Renamed duo"


def test_edit_without_javascript_redirects(client, provider):
    service = make_service(provider)
    client.force_login(provider)
    response = client.post(reverse("catalog:service-edit", args=[service.public_id]), FORM)
    assert response.status_code == 302


def test_cannot_see_or_edit_another_providers_service(client, provider):
    theirs = make_service(make_user("x@example.com", "X", role="provider"), title="Theirs")
    client.force_login(provider)
    for name in ("catalog:service-edit", "catalog:service-card"):
        assert client.get(reverse(name, args=[theirs.public_id])).status_code == 404
    assert client.post(reverse("catalog:service-edit", args=[theirs.public_id]), FORM).status_code == 404
    assert client.post(reverse("catalog:service-toggle", args=[theirs.public_id])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "Theirs" and theirs.is_active


def test_toggle_hides_and_shows(client, provider):
    service = make_service(provider)
    client.force_login(provider)
    client.post(reverse("catalog:service-toggle", args=[service.public_id]))
    service.refresh_from_db()
    assert not service.is_active
    response = client.post(reverse("catalog:service-toggle", args=[service.public_id]), headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    service.refresh_from_db()
    assert service.is_active


def test_block_and_free_dates(client, provider):
    client.force_login(provider)
    start = timezone.localdate() + dt.timedelta(days=10)
    response = client.post(
        reverse("catalog:block-dates"),
        {"start": start.isoformat(), "end": (start + dt.timedelta(days=2)).isoformat(), "note": "Tour"},
    )
    assert response.status_code == 302
    assert BusyDay.objects.filter(provider=provider).count() == 3
    response = client.post(reverse("catalog:unblock-date", args=[start.isoformat()]))
    assert response.status_code == 302
    assert BusyDay.objects.filter(provider=provider).count() == 2


def test_block_dates_errors_are_shown(client, provider):
    client.force_login(provider)
    start = timezone.localdate() + dt.timedelta(days=10)
    response = client.post(
        reverse("catalog:block-dates"), {"start": start.isoformat(), "end": (start - dt.timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 200
    assert "end" in response.context["block_form"].errors
    past = client.post(reverse("catalog:block-dates"), {"start": "2001-01-01"})
    assert "start" in past.context["block_form"].errors
    assert not BusyDay.objects.exists()


def test_unblock_a_bad_date_is_harmless(client, provider):
    client.force_login(provider)
    response = client.post(reverse("catalog:unblock-date", args=["not-a-date"]), follow=True)
    assert response.status_code == 200
    assert "was not blocked" in response.content.decode()


def _png(size=(600, 400)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile("band.png", buffer.getvalue(), content_type="image/png")


def test_upload_and_remove_a_photo(client, provider, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(provider)
    response = client.post(reverse("catalog:photo-upload"), {"photo": _png()})
    assert response.status_code == 302
    photo = ProviderPhoto.objects.get(provider=provider)
    profile = client.get(reverse("catalog:provider", args=[provider.public_id]))
    assert list(profile.context["photos"]) == [photo]
    response = client.post(reverse("catalog:photo-delete", args=[photo.public_id]))
    assert response.status_code == 302
    assert not ProviderPhoto.objects.exists()


def test_bad_photo_shows_the_error_on_the_dashboard(client, provider, settings, tmp_path):

    settings.MEDIA_ROOT = tmp_path
    client.force_login(provider)
    fake = SimpleUploadedFile("cat.jpg", b"this is text, not a jpeg", content_type="image/jpeg")
    response = client.post(reverse("catalog:photo-upload"), {"photo": fake})
    assert response.status_code == 200
    assert "not an image" in str(response.context["photo_form"].errors["photo"])
    assert not ProviderPhoto.objects.exists()


def test_cannot_remove_someone_elses_photo(client, provider, stranger, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = provider_photo_add(provider=provider, upload=_png())
    other = make_user("o@example.com", "Other", role="provider")
    client.force_login(other)
    client.post(reverse("catalog:photo-delete", args=[photo.public_id]))
    assert ProviderPhoto.objects.count() == 1


def test_deposit_terms_and_the_fee_on_the_service_form(client, provider, settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("12.5")
    client.force_login(provider)
    page = client.get(reverse("catalog:service-new")).content.decode()
    assert "GigSta's fee of 12.5 % is taken from it when you are paid." in page
    client.post(reverse("catalog:service-new"), {**FORM, "deposit_percent": "25", "balance_due_days": "10"})
    service = Service.objects.get()
    assert (service.deposit_percent, service.balance_due_days) == (25, 10)
    assert "25 % deposit" in client.get(reverse("catalog:dashboard")).content.decode()
    response = client.post(reverse("catalog:service-new"), {**FORM, "deposit_percent": "95"})
    assert response.context["form"].errors == {"deposit_percent": ["Ensure this value is less than or equal to 90."]}


def test_the_early_deposit_setting_on_the_service_form(client, provider):
    client.force_login(provider)
    page = client.get(reverse("catalog:service-new")).content.decode()
    assert "Pay my deposit out before the gig" in page
    assert "GigSta pays it to you, less its fee, within a day" in page
    client.post(reverse("catalog:service-new"), {**FORM, "deposit_percent": "25", "deposit_paid_early": "on"})
    service = Service.objects.get()
    assert service.deposit_paid_early
    form = client.get(reverse("catalog:service-edit", args=[service.public_id])).context["form"]
    assert form.initial["deposit_paid_early"] is True
    edit = {**FORM, "deposit_percent": "25"}  # the box unticked
    client.post(reverse("catalog:service-edit", args=[service.public_id]), edit)
    service.refresh_from_db()
    assert not service.deposit_paid_early


def test_paying_the_deposit_out_early_needs_a_deposit(client, provider):
    client.force_login(provider)
    response = client.post(reverse("catalog:service-new"), {**FORM, "deposit_percent": "0", "deposit_paid_early": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "deposit_paid_early": ["Set a deposit first: without one there is nothing to pay out early."]
    }
    assert not Service.objects.exists()


def test_staff_cannot_set_an_early_deposit_without_a_deposit_in_the_admin_either(client, provider, staff_user):
    service = make_service(provider)
    client.force_login(staff_user)
    url = reverse("admin:catalog_service_change", args=[service.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "cover"}
    data.update(category=service.category_id, provider=provider.pk, deposit_paid_early="on", deposit_percent="0")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Set a deposit first" in response.content.decode()
    service.refresh_from_db()
    assert not service.deposit_paid_early
