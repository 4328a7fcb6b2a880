"""Draws the extension's icons (extension/icons/handful-N.png): five dots, a handful.

Pure standard library, so the icons can be redrawn anywhere:
`python docs/images/draw_icons.py`.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "extension" / "icons"
BLUE = (10, 102, 194)
WHITE = (255, 255, 255)


def pixel(x: float, y: float) -> tuple[int, int, int, int]:
    """Colour at (x, y) in a unit square: a rounded blue tile with five white dots."""
    r = 0.2  # corner radius
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    if math.hypot(x - cx, y - cy) > r:
        return (0, 0, 0, 0)
    for i in range(5):  # five dots on a circle: a handful
        angle = -math.pi / 2 + i * 2 * math.pi / 5
        dx, dy = 0.5 + 0.26 * math.cos(angle), 0.52 + 0.26 * math.sin(angle)
        if math.hypot(x - dx, y - dy) < 0.1:
            return (*WHITE, 255)
    return (*BLUE, 255)


def png(size: int) -> bytes:
    samples = 4  # 4x4 supersampling per pixel, for smooth edges
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    colour = pixel((px + (sx + 0.5) / samples) / size,
                                   (py + (sy + 0.5) / samples) / size)
                    for k in range(3):
                        acc[k] += colour[k] * colour[3]
                    acc[3] += colour[3]
            alpha = acc[3] / samples**2
            rgb = [round(acc[k] / acc[3]) if acc[3] else 0 for k in range(3)]
            row += bytes([*rgb, round(alpha)])
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (16, 32, 48, 128):
        (OUT / f"handful-{size}.png").write_bytes(png(size))
