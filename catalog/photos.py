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
from catalog.cache import catalog_changed
from catalog.models import (
    LARGE_WIDTH,
    MEDIUM_WIDTH,
    SMALL_WIDTH,
    ProviderPhoto,
    Service,
    ServicePhoto,
    scaled_size,
)
from catalog.services import ServiceData, service_create

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MIN_SIDE = 200
MAX_SIDE = 1600
THUMB_SIDE = 480
MAX_PHOTOS = 8
FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SERVICE_PHOTOS = 12
# What one upload of several service photos may weigh together: the proxy refuses requests
# over 10 MB (deploy/nginx/gigsta.conf, client_max_body_size), so the app says the same.
MAX_UPLOAD_TOTAL_BYTES = 10 * 1024 * 1024
MAX_ALT_LENGTH = 200
NOT_AN_IMAGE = "This file is not an image we can read."


def _probe(upload: UploadedFile) -> str | None:
    """Why `upload` cannot be a photo, or None: checked from its header and structure, without
    decoding the pixels."""
    if upload.size > MAX_UPLOAD_BYTES:
        return f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
    try:
        upload.seek(0)
        probe = Image.open(upload)
        if probe.format not in FORMATS:
            return "Upload a JPEG, PNG or WebP image."
        width, height = probe.size
        if width * height > MAX_PIXELS:
            return "The image has too many pixels (over 40 megapixels)."
        if min(width, height) < MIN_SIDE:
            return f"The image is too small: at least {MIN_SIDE} pixels on each side."
        probe.verify()  # structural check; the image must be reopened after this
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        return NOT_AN_IMAGE
    return None


def _decode(upload: UploadedFile) -> Image.Image:
    """The probed upload's pixels, upright, in RGB."""
    try:
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(NOT_AN_IMAGE) from None
    return ImageOps.exif_transpose(image).convert("RGB")


def _check(upload: UploadedFile) -> Image.Image:
    problem = _probe(upload)
    if problem:
        raise ValidationError({"photo": [problem]})
    try:
        return _decode(upload)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from None


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
    image = _check(upload)
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


def _delete_files(photo: ProviderPhoto | ServicePhoto) -> None:
    if isinstance(photo, ServicePhoto):
        fields = (photo.small, photo.medium, photo.large, photo.thumbnail)
    else:
        fields = (photo.image, photo.thumbnail)
    for field in fields:
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


# Service photos. Every change to which photo is a service's cover, or to the cover's alt text,
# changes what search shows: the search answers' version moves after commit (catalog.cache).


def _require_owner(service: Service, actor: User) -> None:
    if service.provider_id != actor.pk:
        raise PermissionDenied("You can only change the photos of your own services.")


def _lock(service: Service) -> Service:
    """The service's row, locked: one photo change of a service at a time, so counts, positions
    and the cover stay consistent."""
    return Service.objects.select_for_update().get(pk=service.pk)


def _clean_alt(alt: str) -> str:
    alt = " ".join(alt.split())
    if len(alt) > MAX_ALT_LENGTH:
        raise ValidationError({"alt": [f"Keep the description under {MAX_ALT_LENGTH} characters."]})
    if "\x00" in alt:
        raise ValidationError({"alt": ["The description contains a character we cannot store."]})
    return alt


def _service_photo_build(service: Service, upload: UploadedFile) -> ServicePhoto:
    """Write the four copies of one upload to storage and return the unsaved row (its position is
    given when it is saved)."""
    image = _decode(upload)
    name = uuid.uuid4().hex
    photo = ServicePhoto(service=service)
    photo.width, photo.height = scaled_size(image.width, image.height, LARGE_WIDTH)
    copies = {}
    for field, most in (("small", SMALL_WIDTH), ("medium", MEDIUM_WIDTH), ("large", LARGE_WIDTH)):
        # The sizes pages state (ServicePhoto.sources): each copy scaled from the large one's size.
        size = scaled_size(photo.width, photo.height, most)
        copies[field] = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
    thumb = ImageOps.fit(image, (THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    try:
        for field, copy in copies.items():
            getattr(photo, field).save(f"{name}-{copy.width}.jpg", ContentFile(_jpeg(copy)), save=False)
        photo.thumbnail.save(f"{name}-thumb.jpg", ContentFile(_jpeg(thumb)), save=False)
    except Exception:
        _delete_files(photo)
        raise
    return photo


def _room_error(count: int) -> ValidationError:
    room = MAX_SERVICE_PHOTOS - count
    more = f"add at most {room} more." if room > 0 else "remove one first."
    return ValidationError(
        {"photos": [f"A service shows at most {MAX_SERVICE_PHOTOS} photos and this one has {count}: {more}"]}
    )


def service_photos_add(*, service: Service, actor: User, uploads: list[UploadedFile]) -> list[ServicePhoto]:
    """Add photos to a service, after its others, all or none: every file is checked before any is
    stored, and a failure part-way removes what was stored. The first photo of a service becomes
    its cover. Files are written before the rows' short transaction, so no lock is held while
    object storage answers."""
    _require_owner(service, actor)
    if not uploads:
        raise ValidationError({"photos": ["Choose one or more photos."]})
    problems = [f"{upload.name}: {problem}" for upload in uploads if (problem := _probe(upload))]
    if problems:
        raise ValidationError({"photos": problems})
    if sum(upload.size for upload in uploads) > MAX_UPLOAD_TOTAL_BYTES:
        raise ValidationError(
            {"photos": [f"Send at most {MAX_UPLOAD_TOTAL_BYTES // (1024 * 1024)} MB at once: add the photos in turns."]}
        )
    count = ServicePhoto.objects.filter(service=service).count()
    if count + len(uploads) > MAX_SERVICE_PHOTOS:  # said before any work; checked again under the lock
        raise _room_error(count)
    written: list[ServicePhoto] = []
    try:
        for upload in uploads:
            try:
                written.append(_service_photo_build(service, upload))
            except ValidationError as exc:
                raise ValidationError({"photos": [f"{upload.name}: {m}" for m in exc.messages]}) from None
        with transaction.atomic():
            locked = _lock(service)
            positions = list(ServicePhoto.objects.filter(service=locked).values_list("position", flat=True))
            if len(positions) + len(written) > MAX_SERVICE_PHOTOS:  # another upload came first
                raise _room_error(len(positions))
            first = max(positions, default=-1) + 1
            for offset, photo in enumerate(written):
                photo.service, photo.position = locked, first + offset
                photo.save()
            if locked.cover_id is None:
                _set_cover(locked, written[0])
    except Exception:
        for photo in written:  # no orphaned files when the rows are not written
            _delete_files(photo)
        raise
    service.cover_id = locked.cover_id
    return written


def _set_cover(service: Service, photo: ServicePhoto | None) -> None:
    service.cover = photo
    Service.objects.filter(pk=service.pk).update(cover=photo)
    transaction.on_commit(catalog_changed)


def service_photo_set_cover(*, photo: ServicePhoto, actor: User) -> ServicePhoto:
    _require_owner(photo.service, actor)
    with transaction.atomic():
        service = _lock(photo.service)
        if service.cover_id != photo.pk:
            _set_cover(service, photo)
    return photo


def service_photo_set_alt(*, photo: ServicePhoto, actor: User, alt: str) -> ServicePhoto:
    _require_owner(photo.service, actor)
    alt = _clean_alt(alt)
    if alt != photo.alt:
        with transaction.atomic():
            photo.alt = alt
            photo.save(update_fields=["alt"])
            if Service.objects.filter(pk=photo.service_id, cover=photo).exists():  # cards show the cover's words
                transaction.on_commit(catalog_changed)
    return photo


def service_photo_move(*, photo: ServicePhoto, actor: User, step: int) -> bool:
    """Move a photo one place earlier (step -1) or later (+1) among its service's photos. False
    when it is already first or last."""
    _require_owner(photo.service, actor)
    with transaction.atomic():
        _lock(photo.service)
        photos = list(ServicePhoto.objects.filter(service_id=photo.service_id))
        index = next(i for i, p in enumerate(photos) if p.pk == photo.pk)
        other = index + step
        if step not in (-1, 1) or not 0 <= other < len(photos):
            return False
        photos[index], photos[other] = photos[other], photos[index]
        for position, each in enumerate(photos):  # numbered afresh: no two share a place
            each.position = position
        ServicePhoto.objects.bulk_update(photos, ["position"])
    return True


def service_photo_delete(*, photo: ServicePhoto, actor: User) -> None:
    """Remove a photo; its files go once the removal is committed. When it was the cover, the
    first photo left takes its place. The owner, or staff taking a photo down."""
    if not actor.is_staff:
        _require_owner(photo.service, actor)
    with transaction.atomic():
        service = _lock(photo.service)
        was_cover = service.cover_id in (photo.pk, None)
        photo.delete()
        if was_cover:
            _set_cover(service, ServicePhoto.objects.filter(service=service).first())
        transaction.on_commit(lambda: _delete_files(photo))


def service_create_with_photos(*, provider: User, data: ServiceData, uploads: list[UploadedFile]) -> Service:
    """A new service and its first photos, together or not at all."""
    with transaction.atomic():
        service = service_create(provider=provider, data=data)
        if uploads:
            service_photos_add(service=service, actor=provider, uploads=uploads)
    return service


def service_photo_from_profile(*, service: Service, actor: User, profile_photo: ProviderPhoto) -> ServicePhoto:
    """A copy of one of the provider's profile photos on one of their services (the profile keeps
    its own); counted, sized and made cover like an upload."""
    if profile_photo.provider_id != actor.pk:
        raise PermissionDenied("You can only use your own photos.")
    with profile_photo.image.open("rb") as source:
        upload = ContentFile(source.read(), name=profile_photo.image.name.rsplit("/", 1)[-1])
    (photo,) = service_photos_add(service=service, actor=actor, uploads=[upload])
    return photo
