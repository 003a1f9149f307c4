"""A small real photo for tests that show one: a village road with a pothole, as a PNG."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def road_photo(width: int = 480, height: int = 320) -> bytes:
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            if y < height * 0.4:  # sky, lighter towards the horizon
                shade = int(150 + 80 * y / (height * 0.4))
                pixel = (110, shade, 235)
            elif abs(x - width / 2) < (y - height * 0.4) * 1.1 + 20:  # the road
                dx, dy = (x - width * 0.55) / 70, (y - height * 0.75) / 28
                pixel = (70, 60, 50) if dx * dx + dy * dy < 1 else (150, 150, 145)
            else:  # rice fields
                pixel = (80, 160 + (x * 7 + y * 3) % 40, 70)
            row += bytes(pixel)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + _chunk(b"IEND", b""))
