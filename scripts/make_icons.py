"""Draw the app icons (a speech bubble on teal) as PNGs without image libraries."""

import struct
import sys
import zlib
from pathlib import Path

TEAL = (31, 95, 91)
CREAM = (244, 241, 236)


def inside_bubble(x: float, y: float, scale: float) -> bool:
    # rounded rectangle body plus a small tail at the bottom left
    cx, cy, w, h, r = 0.5, 0.46, 0.56 * scale, 0.40 * scale, 0.12 * scale
    dx, dy = abs(x - cx) - (w / 2 - r), abs(y - cy) - (h / 2 - r)
    body = (dx <= 0 and abs(y - cy) <= h / 2) or (dy <= 0 and abs(x - cx) <= w / 2) or (
        dx > 0 and dy > 0 and dx * dx + dy * dy <= r * r
    )
    tx, ty = cx - w / 4, cy + h / 2
    tail = 0 <= y - ty <= 0.12 * scale and tx - 0.02 <= x <= tx + 0.10 * scale - (y - ty)
    return body or tail


def png(size: int, scale: float) -> bytes:
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            colour = CREAM if inside_bubble((i + 0.5) / size, (j + 0.5) / size, scale) else TEAL
            row.extend(colour)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "static/icons")
    out.mkdir(parents=True, exist_ok=True)
    (out / "icon-192.png").write_bytes(png(192, 1.0))
    (out / "icon-512.png").write_bytes(png(512, 1.0))
    (out / "maskable-512.png").write_bytes(png(512, 0.72))  # inside the maskable safe zone
