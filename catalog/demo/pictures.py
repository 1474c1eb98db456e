"""Pictures for the demo services, drawn with Pillow: nothing is downloaded and no file ships with
the code. Each is an honest abstract (stage lights over a gradient), and its alt text says so."""

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter

# Per category: the gradient's two colours and the lights' colours.
PALETTES = {
    "live-music": ((40, 16, 60), (190, 70, 40), [(255, 190, 90), (255, 120, 80), (250, 230, 170)]),
    "dj": ((10, 20, 60), (120, 20, 140), [(80, 220, 255), (255, 80, 220), (160, 120, 255)]),
    "photography": ((30, 40, 40), (150, 150, 130), [(255, 250, 235), (230, 220, 200), (255, 235, 200)]),
}
DEFAULT_PALETTE = ((30, 30, 50), (120, 90, 60), [(255, 220, 150), (255, 180, 120), (240, 240, 255)])
SIZE = (1280, 853)


def demo_picture(*, category: str, seed: int) -> SimpleUploadedFile:
    """A JPEG upload of an abstract stage scene in the category's colours, the same for the same seed."""
    top, bottom, lights = PALETTES.get(category, DEFAULT_PALETTE)
    rng = random.Random(seed)  # noqa: S311 (a picture, not a secret)
    width, height = SIZE
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a vertical gradient
        t = y / (height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    glow = Image.new("RGB", SIZE)
    glow_draw = ImageDraw.Draw(glow)
    for _ in range(9):  # soft lights
        x, y, r = rng.randrange(width), rng.randrange(height * 2 // 3), rng.randrange(60, 200)
        glow_draw.ellipse([x - r, y - r, x + r, y + r], fill=rng.choice(lights))
    image = Image.blend(image, glow.filter(ImageFilter.GaussianBlur(60)), 0.45)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile(f"demo-{category}-{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


def demo_picture_alt(n: int) -> str:
    return f"Demo picture {n}: soft stage lights over a colour gradient"
