"""Inspection images on disk, addressed by content: `<data_dir>/images/ab/cd/<sha256>`.

The same bytes are stored once however often they are posted. A file is written to a temporary
name in its final folder, flushed to disk and renamed into place, so a reader (or a crash) never
sees half an image. Pure file handling: which images may be purged is the service's decision.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DIGEST = re.compile(r"[0-9a-f]{64}")


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ImageStore:
    root: Path  # <data_dir>/images

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ImageStore:
        return cls(data_dir / "images")

    def path(self, digest: str) -> Path:
        if not DIGEST.fullmatch(digest):
            raise ValueError(f"not a SHA-256 hex digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store the bytes; their digest, and whether this call created the file."""
        digest = digest_of(data)
        target = self.path(digest)
        if target.is_file():
            return digest, False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return digest, True

    def read(self, digest: str) -> bytes | None:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, digest: str) -> bool:
        try:
            self.path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def files(self) -> Iterator[tuple[str, Path, float]]:
        """Every stored image: digest, path and modification time (when it was written)."""
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if DIGEST.fullmatch(path.name) and path.is_file():
                yield path.name, path, path.stat().st_mtime

    def older_than(self, days: float, now: float | None = None) -> list[str]:
        cutoff = (time.time() if now is None else now) - days * 86400.0
        return sorted(digest for digest, _, mtime in self.files() if mtime < cutoff)
