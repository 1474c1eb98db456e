"""The photo manager on a service's pages: upload, errors in the form, order, cover, text, removal."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from catalog.models import ProviderPhoto, Service, ServicePhoto
from catalog.photos import provider_photo_add
from catalog.tests.factories import add_photos, image_upload, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def service(provider):
    return make_service(provider, title="Soul band")


@pytest.fixture
def owner(client, provider):
    client.force_login(provider)
    return client


def edit_url(service):
    return reverse("catalog:service-edit", args=[service.public_id])


def photo_url(name, photo):
    return reverse(f"catalog:service-photo-{name}", args=[photo.service.public_id, photo.public_id])


def test_photos_are_added_several_at_once_from_the_edit_page(owner, service):
    url = reverse("catalog:service-photos-upload", args=[service.public_id])
    response = owner.post(url, {"photos": [image_upload(name="a.png"), image_upload(name="b.jpg", fmt="JPEG")]})
    assert response.status_code == 302 and response["Location"] == edit_url(service) + "#photos"
    assert service.photos.count() == 2
    page = owner.get(edit_url(service)).content.decode()
    assert page.count('data-testid="service-photo"') == 2
    assert page.count('data-testid="cover-badge"') == 1
    assert "2 of 12" in page and "multiple" in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.txt", b"hello"), "notes.txt: This file is not an image we can read."),
        ("gif", "anim.gif: Upload a JPEG, PNG or WebP image."),
    ],
)
def test_a_refused_file_is_named_in_the_form_and_nothing_is_added(owner, service, upload, message):
    if upload == "gif":
        upload = image_upload(fmt="GIF", name="anim.gif")
    url = reverse("catalog:service-photos-upload", args=[service.public_id])
    response = owner.post(url, {"photos": [image_upload(), upload]})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ServicePhoto.objects.exists()


def test_too_big_and_too_many_are_form_errors(owner, service, monkeypatch):
    url = reverse("catalog:service-photos-upload", args=[service.public_id])
    monkeypatch.setattr("catalog.photos.MAX_UPLOAD_BYTES", 1000)
    response = owner.post(url, {"photos": [image_upload(name="big.png")]})
    assert response.status_code == 200 and "big.png: The file is larger than" in response.content.decode()
    monkeypatch.undo()
    monkeypatch.setattr("catalog.photos.MAX_SERVICE_PHOTOS", 1)
    add_photos(service, 1, size=(300, 300))
    response = owner.post(url, {"photos": [image_upload(name="more.png")]})
    assert response.status_code == 200 and "remove one first" in response.content.decode()
    assert service.photos.count() == 1
    response = owner.post(url, {})
    assert response.status_code == 200 and "Choose one or more photos." in response.content.decode()


def test_a_new_service_can_come_with_its_photos(owner, provider):
    data = {
        "title": "Jazz trio",
        "category": "live-music",
        "pricing": "fixed",
        "price": "900",
        "currency": "EUR",
        "duration_minutes": "120",
        "deposit_percent": "0",
        "balance_due_days": "14",
        "city": "Berlin, Germany",
        "is_active": "on",
        "photos": [image_upload(name="a.png"), image_upload(name="b.png")],
    }
    response = owner.post(reverse("catalog:service-new"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    service = Service.objects.get(title="Jazz trio")
    assert service.photos.count() == 2 and service.cover_id == service.photos.first().pk

    data["title"], data["photos"] = "Brass band", [SimpleUploadedFile("x.png", b"x")]
    response = owner.post(reverse("catalog:service-new"), data)
    assert response.status_code == 200 and "x.png: This file is not an image" in response.content.decode()
    assert not Service.objects.filter(title="Brass band").exists()  # nothing half-written


def test_move_cover_describe_and_remove_with_plain_forms(owner, service, media):
    a, b, c = add_photos(service, 3, size=(300, 300))
    assert owner.post(photo_url("down", a)).status_code == 302
    assert list(service.photos.values_list("pk", flat=True)) == [b.pk, a.pk, c.pk]
    owner.post(photo_url("up", c))
    assert list(service.photos.values_list("pk", flat=True)) == [b.pk, c.pk, a.pk]
    response = owner.post(photo_url("up", b), follow=True)
    assert "already first" in response.content.decode()

    owner.post(photo_url("cover", c))
    assert Service.objects.get(pk=service.pk).cover_id == c.pk
    owner.post(photo_url("alt", c), {"alt": "The band on stage"})
    c.refresh_from_db()
    assert c.alt == "The band on stage"
    response = owner.post(photo_url("alt", c), {"alt": "x" * 201})
    assert response.status_code == 200 and "at most 200 characters" in response.content.decode()

    response = owner.post(photo_url("delete", c))
    assert response.status_code == 302
    assert not ServicePhoto.objects.filter(pk=c.pk).exists()
    assert Service.objects.get(pk=service.pk).cover_id == b.pk
    page = owner.get(edit_url(service)).content.decode()
    assert (
        re.search(r"Move up<span[^>]*> photo 2", page) and 'Move up<span class="visually-hidden"> photo 1' not in page
    )


def test_only_the_owner_reaches_a_service_s_photos(client, service, client_user):
    (photo,) = add_photos(service, 1, size=(300, 300))
    other = make_user("olga@example.com", "Olga Other", role=Role.PROVIDER)
    client.force_login(other)
    for name in ("up", "down", "cover", "delete", "alt"):
        assert client.post(photo_url(name, photo), {"alt": "mine"}).status_code == 404
    upload = reverse("catalog:service-photos-upload", args=[service.public_id])
    assert client.post(upload, {"photos": [image_upload()]}).status_code == 404
    client.force_login(client_user)
    assert client.post(photo_url("delete", photo)).status_code == 403
    client.logout()
    assert client.post(photo_url("delete", photo)).status_code == 302  # to the login page
    assert ServicePhoto.objects.filter(pk=photo.pk, alt="").exists() and service.photos.count() == 1


def test_a_profile_photo_can_be_used_on_a_service_and_the_profile_keeps_it(owner, provider, service, client_user):
    profile_photo = provider_photo_add(provider=provider, upload=image_upload((900, 600)))
    page = owner.get(edit_url(service)).content.decode()
    copy_url = reverse("catalog:service-photo-copy", args=[service.public_id, profile_photo.public_id])
    assert copy_url in page
    response = owner.post(copy_url)
    assert response.status_code == 302
    (photo,) = service.photos.all()
    assert (photo.width, photo.height) == (900, 600)
    assert Service.objects.get(pk=service.pk).cover_id == photo.pk
    assert ProviderPhoto.objects.filter(pk=profile_photo.pk).exists()

    other = make_user("olga@example.com", "Olga Other", role=Role.PROVIDER)
    theirs = make_service(other, title="Olga's band")
    owner.force_login(other)  # someone else's profile photo, or onto someone else's service: not found
    assert owner.post(copy_url).status_code == 404
    own = reverse("catalog:service-photo-copy", args=[theirs.public_id, profile_photo.public_id])
    assert owner.post(own).status_code == 404
    assert theirs.photos.count() == 0


def test_staff_take_a_photo_down_in_the_admin_files_and_all(
    client, staff_user, service, media, django_capture_on_commit_callbacks
):
    a, b = add_photos(service, 2, size=(300, 300))
    client.force_login(staff_user)
    changelist = reverse("admin:catalog_servicephoto_changelist")
    assert client.get(changelist).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "remove_photos", "_selected_action": [a.pk]})
    assert response.status_code == 302
    assert list(ServicePhoto.objects.values_list("pk", flat=True)) == [b.pk]
    assert Service.objects.get(pk=service.pk).cover_id == b.pk
    assert len(list(media.rglob("*.jpg"))) == 4
