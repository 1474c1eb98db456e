"""Photo uploads: checked by content with Pillow, resized, stored through Django's storage API.

The storage is local files by default and S3-compatible object storage (S3, Cloudflare R2)
when AWS_STORAGE_BUCKET_NAME is set; nothing here knows which.
"""

import io
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from catalog.models import ProviderPhoto

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MIN_SIDE = 200
MAX_SIDE = 1600
THUMB_SIDE = 480
MAX_PHOTOS = 8
FORMATS = {"JPEG", "PNG", "WEBP"}


def _check(upload: UploadedFile) -> Image.Image:
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"photo": [f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."]})
    try:
        upload.seek(0)
        probe = Image.open(upload)
        if probe.format not in FORMATS:
            raise ValidationError({"photo": ["Upload a JPEG, PNG or WebP image."]})
        width, height = probe.size
        if width * height > MAX_PIXELS:
            raise ValidationError({"photo": ["The image has too many pixels (over 40 megapixels)."]})
        if min(width, height) < MIN_SIDE:
            raise ValidationError({"photo": [f"The image is too small: at least {MIN_SIDE} pixels on each side."]})
        probe.verify()  # structural check; the image must be reopened after this
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError({"photo": ["This file is not an image we can read."]}) from None
    return image


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def provider_photo_add(*, provider: User, upload: UploadedFile) -> ProviderPhoto:
    """Store a resized copy (at most 1600 px) and a square thumbnail; the original is not kept."""
    if not provider.is_provider:
        raise PermissionDenied("Only providers have a photo gallery.")
    if ProviderPhoto.objects.filter(provider=provider).count() >= MAX_PHOTOS:
        raise ValidationError({"photo": [f"You can show at most {MAX_PHOTOS} photos. Remove one first."]})
    image = ImageOps.exif_transpose(_check(upload)).convert("RGB")
    large = image.copy()
    large.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = ImageOps.fit(image, (THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)

    name = uuid.uuid4().hex
    photo = ProviderPhoto(
        provider=provider,
        position=ProviderPhoto.objects.filter(provider=provider).count(),
        width=large.width,
        height=large.height,
    )
    photo.image.save(f"{name}.jpg", ContentFile(_jpeg(large)), save=False)
    photo.thumbnail.save(f"{name}-thumb.jpg", ContentFile(_jpeg(thumb)), save=False)
    try:
        photo.save()
    except Exception:
        _delete_files(photo)  # no orphaned files when the row cannot be written
        raise
    return photo


def _delete_files(photo: ProviderPhoto) -> None:
    for field in (photo.image, photo.thumbnail):
        if field.name:
            field.storage.delete(field.name)


def provider_photo_delete(*, provider: User, public_id) -> bool:
    photo = ProviderPhoto.objects.filter(provider=provider, public_id=public_id).first()
    if photo is None:
        return False
    with transaction.atomic():
        photo.delete()
        transaction.on_commit(lambda: _delete_files(photo))
    return True
