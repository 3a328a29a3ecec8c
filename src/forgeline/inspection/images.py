"""Decoding an uploaded or stored image, refusing what inspection cannot use."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from forgeline.inspection.detect import ImageError

MAX_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 64 * 1024 * 1024  # 8K line-scan x 8K rows
FORMATS = frozenset({"PNG", "TIFF", "BMP"})  # lossless only: JPEG artefacts look like defects


def decode(data: bytes, expected: tuple[int, int] | None = None) -> npt.NDArray[np.uint8]:
    """An 8-bit grey image from PNG/TIFF/BMP bytes; ImageError says what is wrong."""
    if len(data) > MAX_BYTES:
        raise ImageError(f"image is {len(data)} bytes, the limit is {MAX_BYTES}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt, mode, (w, h) = img.format, img.mode, img.size
                if fmt not in FORMATS:
                    raise ImageError(f"{fmt} images are not accepted; send PNG, TIFF or BMP")
                if w * h > MAX_PIXELS:
                    raise ImageError(f"image is {w}x{h} px, over the {MAX_PIXELS} px limit")
                if mode != "L":
                    raise ImageError(f"need an 8-bit grey image, got mode {mode}")
                if expected is not None and (h, w) != expected:
                    raise ImageError(
                        f"image is {w}x{h} px, the model expects {expected[1]}x{expected[0]}"
                    )
                img.load()
                array: npt.NDArray[np.uint8] = np.array(img, dtype=np.uint8)
    except ImageError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ImageError(f"not a readable image: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"unreadable or truncated image: {exc}") from exc
    return array


def read(path: Path, expected: tuple[int, int] | None = None) -> npt.NDArray[Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror}") from exc
    return decode(data, expected)
