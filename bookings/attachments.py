"""Files attached to booking messages: where they are kept, how they are checked, how they are served.

They live in the `attachments` storage (settings.STORAGES): local files that no URL serves by
default, a private S3/R2 bucket when one is configured. Nobody reaches them but through
`attachment_response`, behind the views that check who is asking.

A file is accepted for what it is, never for its name or the type the browser claimed: a PDF
must start as one and end as one, an image must be a JPEG, PNG or WebP that Pillow reads to
the last pixel. Everything is checked before anything is stored.
"""

import os
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.core.signals import setting_changed
from django.http import FileResponse, Http404
from django.utils.functional import LazyObject, empty
from PIL import Image, UnidentifiedImageError

MAX_FILES = 4  # per message
MAX_NAME_LENGTH = 100
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
# What we accept, by what the content is: (extension, content type).
PDF = ("pdf", "application/pdf")
IMAGES = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
ACCEPT = ".pdf,.jpg,.jpeg,.png,.webp,application/pdf,image/jpeg,image/png,image/webp"  # a hint for the file picker
KINDS_IN_WORDS = "PDF, JPEG, PNG or WebP"


class _AttachmentStorage(LazyObject):
    """storages["attachments"], looked up when first used (and again after a settings change in
    tests), so that the model field does not pin the storage of the moment it was imported."""

    def _setup(self):
        self._wrapped = storages["attachments"]


attachment_storage = _AttachmentStorage()


def attachment_storage_get() -> Storage:
    """The FileField's storage (a callable, so migrations name this function, not a backend)."""
    return attachment_storage


def _storages_changed(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        attachment_storage._wrapped = empty


setting_changed.connect(_storages_changed)


def max_bytes() -> int:
    """What the files of one message may weigh together (settings.MESSAGE_FILES_MAX_MB)."""
    return settings.MESSAGE_FILES_MAX_MB * 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str  # safe to show and to send in Content-Disposition
    extension: str
    content_type: str
    size: int


def _kind_of(upload: UploadedFile) -> tuple[str, str] | None:
    """(extension, content type) of what the file really is, or None when it is none of the kinds."""
    upload.seek(0)
    head = upload.read(8)
    if head.startswith(b"%PDF-"):
        return PDF if _ends_like_a_pdf(upload) else None
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = IMAGES.get(probe.format or "")
            if kind is None or probe.width * probe.height > MAX_PIXELS:
                return None
            probe.verify()  # the structure: chunks, checksums
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()  # every pixel decodes
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        upload.seek(0)
    return kind


def _ends_like_a_pdf(upload: UploadedFile) -> bool:
    """A whole PDF ends with %%EOF (give or take trailing whitespace)."""
    upload.seek(max(0, upload.size - 1024))
    return b"%%EOF" in upload.read()


def _clean_name(name: str) -> str:
    """The uploader's file name without folders, control, invisible or unusual characters."""
    name = unicodedata.normalize("NFC", os.path.basename(str(name).replace("\\", "/")))
    name = "".join(c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ")
    return re.sub(r"[\"'<>:/|?*;%]+", "_", name).strip(" .")[:MAX_NAME_LENGTH] or "file"


def safe_name(name: str, extension: str) -> str:
    """The uploader's file name, fit to show and to send back (`_clean_name`), not too long, and
    ending as what the file really is."""
    name = _clean_name(name)
    stem, _, ext = name.rpartition(".")
    if not stem or ext.lower() not in {extension, "jpeg" if extension == "jpg" else extension}:
        stem, ext = name, extension
    return f"{stem[: MAX_NAME_LENGTH - len(ext) - 1]}.{ext}"


def attachments_check(uploads: list[UploadedFile]) -> list[CheckedFile]:
    """Every file checked by its content, or ValidationError({"files": …}) naming what is wrong."""
    limit = max_bytes()
    megabytes = f"{settings.MESSAGE_FILES_MAX_MB} MB"
    if len(uploads) > MAX_FILES:
        raise ValidationError({"files": [f"Attach at most {MAX_FILES} files to one message."]})
    errors, checked = [], []
    for upload in uploads:
        shown = _clean_name(upload.name or "")
        if upload.size > limit:
            errors.append(f"{shown} is larger than {megabytes}.")
            continue
        kind = _kind_of(upload)
        if kind is None:
            errors.append(f"{shown} is not a {KINDS_IN_WORDS} file we can open.")
            continue
        extension, content_type = kind
        name = safe_name(upload.name or "file", extension)
        checked.append(CheckedFile(upload, name, extension, content_type, upload.size))
    if not errors and sum(f.size for f in checked) > limit:
        errors.append(f"The files are larger than {megabytes} together: send some in another message.")
    if errors:
        raise ValidationError({"files": errors})
    return checked


def attachment_response(attachment) -> FileResponse:
    """The file, to someone allowed to see it: images shown in the page, PDFs downloaded; the type
    we found in it, never sniffed, never run as a page."""
    inline = attachment.content_type != PDF[1]
    try:
        stream = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is gone.") from None
    response = FileResponse(
        stream,
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
