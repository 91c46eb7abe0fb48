"""What Telegram checks of an uploaded photo: that it is an image, its size and proportions."""

from __future__ import annotations

import struct

from fake_telegram.common import _bad

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000  # width + height
MAX_PHOTO_RATIO = 20

_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(content: bytes) -> tuple[int, int] | None:
    """Return (width, height) of a PNG, JPEG, GIF or WebP image, or None if it is none of them."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return int(width), int(height)
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return _webp_size(content)
    if content.startswith(b"\xff\xd8"):
        return _jpeg_size(content)
    return None


def _webp_size(content: bytes) -> tuple[int, int] | None:
    chunk = content[12:16]
    if chunk == b"VP8X" and len(content) >= 30:
        width = int.from_bytes(content[24:27], "little") + 1
        height = int.from_bytes(content[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(content) >= 30:
        width, height = struct.unpack("<HH", content[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(content) >= 25:
        bits = int.from_bytes(content[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(content: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 <= len(content):
        if content[i] != 0xFF:
            return None
        marker = content[i + 1]
        length = int.from_bytes(content[i + 2 : i + 4], "big")
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", content[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


def checked_photo(content: bytes) -> tuple[int, int]:
    """Return the photo's (width, height), or refuse it with Telegram's error."""
    if not content:
        raise _bad("file must be non-empty")
    if len(content) > MAX_PHOTO_BYTES:
        raise _bad("PHOTO_SAVE_FILE_INVALID")
    size = image_size(content)
    if size is None:
        raise _bad("IMAGE_PROCESS_FAILED")
    width, height = size
    if (
        min(width, height) < 1
        or width + height > MAX_PHOTO_SIDES
        or max(width, height) > MAX_PHOTO_RATIO * min(width, height)
    ):
        raise _bad("PHOTO_INVALID_DIMENSIONS")
    return size
