"""The tray icon: the member count against the cap, drawn (blue; red over the cap)."""

from __future__ import annotations

from typing import Any


def draw(members: int | None, cap: int | None, *, size: int = 64, due: bool = False) -> Any:
    from PIL import Image, ImageDraw, ImageFont

    over = members is not None and cap is not None and members > cap
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5,
                          fill=(170, 0, 0, 255) if over else (10, 102, 194, 255))
    text = "?" if members is None else str(members)
    font = ImageFont.load_default(size=int(size * 0.55))
    box = pen.textbbox((0, 0), text, font=font)
    pen.text(((size - (box[2] - box[0])) / 2 - box[0], (size - (box[3] - box[1])) / 2 - box[1]),
             text, font=font, fill=(255, 255, 255, 255))
    if due:  # a dot in the corner: the review is due
        r = size // 6
        pen.ellipse((size - 2 * r - 2, 2, size - 2, 2 * r + 2), fill=(245, 166, 35, 255))
    return image
