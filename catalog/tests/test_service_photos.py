"""Service photos: upload checks, sizes, order, the cover, descriptions, removal, who may."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Role
from accounts.tests.factories import make_user
from catalog.models import Service, ServicePhoto
from catalog.photos import (
    MAX_SERVICE_PHOTOS,
    service_create_with_photos,
    service_photo_delete,
    service_photo_move,
    service_photo_set_alt,
    service_photo_set_cover,
    service_photos_add,
)
from catalog.services import service_update
from catalog.tests.factories import add_photos, image_upload, make_service, service_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def service(provider):
    return make_service(provider, title="Soul band")


def order(service) -> list[int]:
    return list(ServicePhoto.objects.filter(service=service).values_list("pk", flat=True))


def cover_of(service):
    return Service.objects.get(pk=service.pk).cover_id


def test_a_photo_is_stored_in_three_widths_and_a_square_thumbnail(service, media):
    (photo,) = service_photos_add(service=service, actor=service.provider, uploads=[image_upload((2400, 1600))])
    assert (photo.width, photo.height) == (1280, 853)
    sizes = {}
    for field in ("small", "medium", "large", "thumbnail"):
        with Image.open(getattr(photo, field).path) as image:
            assert image.format == "JPEG"
            sizes[field] = image.size
    assert sizes == {"small": (320, 213), "medium": (640, 427), "large": (1280, 853), "thumbnail": (480, 480)}
    assert [(w, h) for _, w, h in photo.sources] == [(320, 213), (640, 427), (1280, 853)]  # as the files are
    assert photo.srcset.endswith(" 1280w") and " 320w, " in photo.srcset
    assert str(service.public_id) in photo.large.name
    assert len(list(media.rglob("*.jpg"))) == 4


def test_a_narrow_photo_is_never_enlarged(service):
    (photo,) = service_photos_add(service=service, actor=service.provider, uploads=[image_upload((500, 400))])
    assert (photo.width, photo.height) == (500, 400)
    assert [w for _, w, _ in photo.sources] == [320, 500]  # the 640 and 1280 copies are the same 500 px
    assert photo.card_size == (500, 400)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.png", b"not an image at all"), "notes.png: This file is not an image"),
        (SimpleUploadedFile("cut.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 200), "cut.png: This file is not an image"),
        ("gif", "party.gif: Upload a JPEG, PNG or WebP image."),
        ("tiny", "too small"),
    ],
)
def test_a_bad_file_refuses_the_whole_upload_and_stores_nothing(service, media, upload, message):
    if upload == "gif":
        upload = image_upload(fmt="GIF", name="party.gif")
    elif upload == "tiny":
        upload = image_upload(size=(50, 50))
    with pytest.raises(ValidationError) as exc:
        service_photos_add(service=service, actor=service.provider, uploads=[image_upload(), upload])
    assert message in str(exc.value.message_dict["photos"])
    assert not ServicePhoto.objects.exists() and cover_of(service) is None
    assert not list(media.rglob("*.*"))


def test_a_file_too_big_is_refused(service, monkeypatch):
    monkeypatch.setattr("catalog.photos.MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(ValidationError) as exc:
        service_photos_add(service=service, actor=service.provider, uploads=[image_upload()])
    assert "larger than" in str(exc.value.message_dict["photos"])


def test_files_too_big_together_are_refused(service, monkeypatch):
    monkeypatch.setattr("catalog.photos.MAX_UPLOAD_TOTAL_BYTES", 20_000)
    uploads = [image_upload((1200, 1200), name=f"{i}.png") for i in range(3)]
    assert sum(u.size for u in uploads) > 20_000
    with pytest.raises(ValidationError) as exc:
        service_photos_add(service=service, actor=service.provider, uploads=uploads)
    assert "add the photos in turns" in str(exc.value.message_dict["photos"])
    assert not ServicePhoto.objects.exists()


def test_a_service_shows_at_most_twelve_photos(service, media):
    assert MAX_SERVICE_PHOTOS == 12
    add_photos(service, 10, size=(300, 300))
    with pytest.raises(ValidationError) as exc:
        add_photos(service, 3, size=(300, 300))
    assert "has 10: add at most 2 more." in str(exc.value)
    assert ServicePhoto.objects.count() == 10
    assert len(list(media.rglob("*.jpg"))) == 40  # nothing of the refused three stayed
    add_photos(service, 2, size=(300, 300))
    with pytest.raises(ValidationError) as exc:
        add_photos(service, 1, size=(300, 300))
    assert "remove one first" in str(exc.value)


def test_photos_keep_the_order_they_came_in_and_move_one_place_at_a_time(service):
    a, b, c = add_photos(service, 3, size=(300, 300))
    assert order(service) == [a.pk, b.pk, c.pk]
    assert service_photo_move(photo=c, actor=service.provider, step=-1) is True
    assert order(service) == [a.pk, c.pk, b.pk]
    assert service_photo_move(photo=a, actor=service.provider, step=-1) is False  # already first
    assert service_photo_move(photo=b, actor=service.provider, step=1) is False  # already last
    service_photo_move(photo=a, actor=service.provider, step=1)
    assert order(service) == [c.pk, a.pk, b.pk]
    assert sorted(ServicePhoto.objects.values_list("position", flat=True)) == [0, 1, 2]
    (d,) = add_photos(service, 1, size=(300, 300))
    assert order(service)[-1] == d.pk  # new photos go last


def test_the_first_photo_is_the_cover_until_another_is_chosen(service):
    a, b = add_photos(service, 2, size=(300, 300))
    assert cover_of(service) == a.pk
    service_photo_set_cover(photo=b, actor=service.provider)
    assert cover_of(service) == b.pk
    service_photo_move(photo=b, actor=service.provider, step=-1)
    assert cover_of(service) == b.pk  # the order and the cover are separate choices


def test_removing_the_cover_makes_the_first_photo_left_the_cover(service, media, django_capture_on_commit_callbacks):
    a, b, c = add_photos(service, 3, size=(300, 300))
    service_photo_set_cover(photo=b, actor=service.provider)
    with django_capture_on_commit_callbacks(execute=True):
        service_photo_delete(photo=b, actor=service.provider)
    assert cover_of(service) == a.pk
    assert len(list(media.rglob("*.jpg"))) == 8  # b's four files went once it was committed
    service_photo_delete(photo=c, actor=service.provider)
    assert cover_of(service) == a.pk
    service_photo_delete(photo=a, actor=service.provider)
    assert cover_of(service) is None


def test_files_stay_until_the_removal_is_committed(service, media, django_capture_on_commit_callbacks):
    (photo,) = add_photos(service, 1, size=(300, 300))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        service_photo_delete(photo=photo, actor=service.provider)
    assert len(list(media.rglob("*.jpg"))) == 4 and callbacks
    for callback in callbacks:
        callback()
    assert not list(media.rglob("*.jpg"))


def test_an_edit_of_the_service_keeps_the_cover_chosen_since_it_was_read(service):
    stale = Service.objects.get(pk=service.pk)  # an edit form read before the photos came
    (photo,) = add_photos(service, 1, size=(300, 300))
    service_update(service=stale, actor=service.provider, data=service_data(title="Funk band"))
    assert cover_of(service) == photo.pk


def test_descriptions_are_tidied_and_bounded(service):
    (photo,) = add_photos(service, 1, size=(300, 300))
    service_photo_set_alt(photo=photo, actor=service.provider, alt="  The band   on stage \n at dusk ")
    photo.refresh_from_db()
    assert photo.alt == "The band on stage at dusk"
    with pytest.raises(ValidationError) as exc:
        service_photo_set_alt(photo=photo, actor=service.provider, alt="x" * 201)
    assert "alt" in exc.value.message_dict


def test_only_the_owner_changes_a_service_s_photos(service, client_user):
    other = make_user("olga@example.com", "Olga Other", role=Role.PROVIDER)
    (photo,) = add_photos(service, 1, size=(300, 300))
    for actor in (other, client_user):
        with pytest.raises(PermissionDenied):
            service_photos_add(service=service, actor=actor, uploads=[image_upload((300, 300))])
        with pytest.raises(PermissionDenied):
            service_photo_set_cover(photo=photo, actor=actor)
        with pytest.raises(PermissionDenied):
            service_photo_move(photo=photo, actor=actor, step=1)
        with pytest.raises(PermissionDenied):
            service_photo_set_alt(photo=photo, actor=actor, alt="mine")
        with pytest.raises(PermissionDenied):
            service_photo_delete(photo=photo, actor=actor)
    assert ServicePhoto.objects.count() == 1


def test_a_new_service_and_its_photos_are_written_together_or_not_at_all(provider, media):
    service = service_create_with_photos(
        provider=provider, data=service_data(title="Jazz trio"), uploads=[image_upload((300, 300))]
    )
    assert service.photos.count() == 1 and cover_of(service) == service.photos.get().pk
    with pytest.raises(ValidationError):
        service_create_with_photos(
            provider=provider, data=service_data(title="Brass band"), uploads=[SimpleUploadedFile("a.png", b"x")]
        )
    assert not Service.objects.filter(title="Brass band").exists()
    assert len(list(media.rglob("*.jpg"))) == 4
