import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import ProviderPhoto
from catalog.photos import MAX_PHOTOS, provider_photo_add, provider_photo_delete

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_upload(size=(2400, 1600), fmt="PNG", name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 20)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_photo_is_resized_with_a_square_thumbnail(provider, media):
    photo = provider_photo_add(provider=provider, upload=image_upload())
    assert (photo.width, photo.height) == (1600, 1067)
    with Image.open(photo.thumbnail.path) as thumb:
        assert thumb.size == (480, 480) and thumb.format == "JPEG"
    assert str(provider.public_id) in photo.image.name
    assert len(list(media.rglob("*.jpg"))) == 2


def test_small_image_is_kept_at_its_size(provider):
    photo = provider_photo_add(provider=provider, upload=image_upload(size=(800, 600), fmt="JPEG", name="a.jpg"))
    assert (photo.width, photo.height) == (800, 600)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("x.png", b"not an image at all"), "not an image"),
        (SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 200), "not an image"),
        ("gif", "JPEG, PNG or WebP"),
        ("tiny", "too small"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(provider, media, upload, message):
    if upload == "gif":
        upload = image_upload(fmt="GIF", name="x.gif")
    elif upload == "tiny":
        upload = image_upload(size=(50, 50))
    with pytest.raises(ValidationError) as exc:
        provider_photo_add(provider=provider, upload=upload)
    assert message in str(exc.value.message_dict["photo"])
    assert not ProviderPhoto.objects.exists()
    assert not list(media.rglob("*.*"))


def test_oversized_upload_is_refused_before_decoding(provider, monkeypatch):
    monkeypatch.setattr("catalog.photos.MAX_UPLOAD_BYTES", 100)
    with pytest.raises(ValidationError) as exc:
        provider_photo_add(provider=provider, upload=image_upload())
    assert "larger than" in str(exc.value)


def test_decompression_bomb_is_refused(provider, monkeypatch):
    monkeypatch.setattr("catalog.photos.MAX_PIXELS", 1000)
    with pytest.raises(ValidationError) as exc:
        provider_photo_add(provider=provider, upload=image_upload(size=(400, 400)))
    assert "too many pixels" in str(exc.value)


def test_gallery_is_limited(provider, monkeypatch):
    monkeypatch.setattr("catalog.photos.MAX_PHOTOS", 2)
    provider_photo_add(provider=provider, upload=image_upload(size=(300, 300)))
    provider_photo_add(provider=provider, upload=image_upload(size=(300, 300)))
    with pytest.raises(ValidationError):
        provider_photo_add(provider=provider, upload=image_upload(size=(300, 300)))
    assert ProviderPhoto.objects.count() == 2
    assert MAX_PHOTOS >= 6


def test_clients_have_no_gallery(client_user):
    with pytest.raises(PermissionDenied):
        provider_photo_add(provider=client_user, upload=image_upload())


def test_delete_removes_row_and_files(provider, media, django_capture_on_commit_callbacks):
    photo = provider_photo_add(provider=provider, upload=image_upload(size=(300, 300)))
    with django_capture_on_commit_callbacks(execute=True):
        assert provider_photo_delete(provider=provider, public_id=photo.public_id) is True
    assert not ProviderPhoto.objects.exists()
    assert not list(media.rglob("*.jpg"))


def test_cannot_delete_someone_elses_photo(provider, stranger):
    photo = provider_photo_add(provider=provider, upload=image_upload(size=(300, 300)))
    assert provider_photo_delete(provider=stranger, public_id=photo.public_id) is False
    assert ProviderPhoto.objects.count() == 1
