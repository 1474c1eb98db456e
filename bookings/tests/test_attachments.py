"""bookings.attachments: a file is accepted for what its content is (PDF, JPEG, PNG, WebP), within
the size and count limits, under a name that is safe to show and to send back."""

import pytest
from django.core.exceptions import ValidationError

from bookings.attachments import MAX_FILES, attachments_check, safe_name
from bookings.tests.files import HTML, PDF, image_bytes, pdf, png, upload


def refusal(files) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        attachments_check(files)
    return refused.value.message_dict["files"]


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("quote.pdf", PDF, ("pdf", "application/pdf")),
        ("photo.jpeg", image_bytes("JPEG"), ("jpg", "image/jpeg")),
        ("stage.png", image_bytes("PNG"), ("png", "image/png")),
        ("plan.webp", image_bytes("WEBP"), ("webp", "image/webp")),
    ],
)
def test_the_four_kinds_are_accepted_by_their_content(name, content, kind):
    [checked] = attachments_check([upload(name, content)])  # the browser said octet-stream: not asked
    assert (checked.extension, checked.content_type) == kind
    assert checked.size == len(content) and checked.name == name


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("invoice.pdf", HTML, "application/pdf"),  # a web page named and labelled as a PDF
        ("invoice.pdf", PDF[:40], "application/pdf"),  # a PDF cut short: no end
        ("stage.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 40, "image/png"),  # a PNG header, then garbage
        ("stage.png", image_bytes("PNG")[:-30], "image/png"),  # a PNG cut short
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 300, "image/jpeg"),  # a JPEG header, then nothing
        ("anim.png", image_bytes("GIF"), "image/png"),  # a GIF: a real image, not one of ours
        ("notes.txt", b"just words", "text/plain"),
        ("empty.pdf", b"", "application/pdf"),
    ],
)
def test_disguised_and_broken_files_are_refused(name, content, content_type):
    [message] = refusal([upload(name, content, content_type)])
    assert message == f"{name} is not a PDF, JPEG, PNG or WebP file we can open."


def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded():
    bomb = image_bytes("PNG", size=(8000, 6000))  # 48 megapixels, compresses to almost nothing
    assert "we can open" in refusal([upload("bomb.png", bomb)])[0]


def test_a_file_over_the_limit_is_refused_by_name(settings):
    settings.MESSAGE_FILES_MAX_MB = 1
    big = upload("big.pdf", PDF[:-7] + b"\0" * (1024 * 1024) + b"%%EOF\n")
    assert refusal([big]) == ["big.pdf is larger than 1 MB."]


def test_files_over_the_limit_together_are_refused(settings):
    settings.MESSAGE_FILES_MAX_MB = 1
    half = PDF[:-7] + b"\0" * (600 * 1024) + b"%%EOF\n"
    assert attachments_check([upload("a.pdf", half)])
    assert refusal([upload("a.pdf", half), upload("b.pdf", half)]) == [
        "The files are larger than 1 MB together: send some in another message."
    ]


def test_at_most_a_few_files_per_message():
    assert len(attachments_check([pdf() for _ in range(MAX_FILES)])) == MAX_FILES
    assert refusal([pdf() for _ in range(MAX_FILES + 1)]) == [f"Attach at most {MAX_FILES} files to one message."]


def test_every_refused_file_is_named_at_once():
    messages = refusal([png("ok.png"), upload("a.pdf", HTML), upload("b.png", b"nope")])
    assert [m.split(" ")[0] for m in messages] == ["a.pdf", "b.png"]


@pytest.mark.parametrize(
    ("name", "extension", "safe"),
    [
        ("Quote 2027.pdf", "pdf", "Quote 2027.pdf"),
        ("../../etc/passwd.pdf", "pdf", "passwd.pdf"),
        ("C:\\Users\\rita\\plan.PDF", "pdf", "plan.PDF"),
        ('x"; filename="evil.html', "pdf", "x_ filename=_evil.html.pdf"),  # no header injection, real ending
        ("invoice.html", "pdf", "invoice.html.pdf"),  # named as what it is
        ("photo.jpeg", "jpg", "photo.jpeg"),
        ("slides\u202egpj.exe", "png", "slidesgpj.exe.png"),  # no right-to-left override
        ("line\r\nbreak.png", "png", "linebreak.png"),
        ("", "webp", "file.webp"),
        ("....", "pdf", "file.pdf"),
        ("Überweisung März.pdf", "pdf", "Überweisung März.pdf"),
        ("a" * 300 + ".png", "png", "a" * 96 + ".png"),
    ],
)
def test_names_are_made_safe_to_show_and_to_send_back(name, extension, safe):
    assert safe_name(name, extension) == safe
