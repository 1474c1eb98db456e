"""bench/size-curve.png: each case's throughput, as a share of the floor, against the catalogue size.

Drawn with Pillow (already a dependency, for provider photos): a log-scaled size axis, one
coloured line per case, the targets as dashed lines in the same colour.
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 900, 560
LEFT, RIGHT, TOP, BOTTOM = 80, 250, 50, 70
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def plot_size_curve(
    path: Path, *, sizes: list[int], series: dict[str, list[float | None]], targets: dict[str, float]
) -> None:
    """`series`: per case, its ratio to the floor at each of `sizes` (None where not measured)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    values = [v for line in series.values() for v in line if v is not None] + list(targets.values())
    top = max(0.1, math.ceil(max(values, default=0.1) * 10 / 0.9) / 10)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP
    low, high = math.log10(min(sizes)), math.log10(max(sizes))
    span = high - low or 1.0

    def x_of(size: int) -> float:
        return x0 + (x1 - x0) * ((math.log10(size) - low) / span if len(sizes) > 1 else 0.5)

    def y_of(value: float) -> float:
        return y0 - (y0 - y1) * value / top

    draw.text((LEFT, 15), "Throughput as a share of /health, by catalogue size (PostgreSQL)", fill="black", font=font)
    for step in range(11):  # grid and value labels
        value = top * step / 10
        draw.line([(x0, y_of(value)), (x1, y_of(value))], fill="#e5e5e5")
        draw.text((x0 - 45, y_of(value) - 6), f"{value:.2f}x", fill="black", font=font)
    for size in sizes:
        draw.line([(x_of(size), y0), (x_of(size), y0 + 5)], fill="black")
        draw.text((x_of(size) - 20, y0 + 10), f"{size:,}", fill="black", font=font)
    draw.text(((x0 + x1) / 2 - 60, y0 + 35), "providers (log scale)", fill="black", font=font)
    draw.line([(x0, y0), (x1, y0)], fill="black")
    draw.line([(x0, y0), (x0, y1)], fill="black")
    for i, (name, line) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        if name in targets:
            _dashed(draw, y_of(targets[name]), x0, x1, colour)
        points = [(x_of(s), y_of(v)) for s, v in zip(sizes, line, strict=True) if v is not None]
        if len(points) > 1:
            draw.line(points, fill=colour, width=3)
        for x, y in points:
            draw.ellipse([(x - 4, y - 4), (x + 4, y + 4)], fill=colour)
        legend_y = TOP + 20 * i
        draw.line([(x1 + 20, legend_y + 6), (x1 + 45, legend_y + 6)], fill=colour, width=3)
        label = name + (f" (target {targets[name]:.2f}x)" if name in targets else "")
        draw.text((x1 + 52, legend_y), label, fill="black", font=font)
    image.save(path)


def _dashed(draw: ImageDraw.ImageDraw, y: float, x0: float, x1: float, colour: str) -> None:
    x = x0
    while x < x1:
        draw.line([(x, y), (min(x + 8, x1), y)], fill=colour, width=1)
        x += 14
