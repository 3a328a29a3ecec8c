"""What a simulation run is asked to do: horizon, load, seed, and the knobs tests and plans turn.

The same scenario (seed and start included) always gives the same plant history.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from forgeline.errors import invalid

MAX_DAYS = 60.0
MAX_SCALE = 3.0
# Trays carry pieces between stations (the plant's 48-pocket trays; est.).
TRAY_SIZE = 48


@dataclass(frozen=True)
class Scenario:
    """One run. `scale` is the fraction of the plant's nameplate start rate (1.0 = nameplate).

    `station_counts` (per station type) overrides how many stations of each type are staffed;
    by default the run staffs as many as its load needs at `target_utilisation`.
    `defect_multiplier` scales every operation's defect rate (a young plant: above 1).
    `handset_share` turns the handset line on: that share of the finished cover glass of the
    handset models' cover-glass products is assembled into handsets (0: no handset line).
    `aoi_images` is the share of the pieces reaching an AOI station whose image is posted to
    Forgeline, whose detector then decides (`aoi_images.py`; 0: none; only a run driven into a
    database posts images).
    """

    days: float = 7.0
    scale: float = 0.05
    seed: int = 1
    start: datetime | None = None
    special_causes: bool = True
    defect_multiplier: float = 1.0
    station_counts: dict[str, int] | None = None
    target_utilisation: float = 0.8
    emit: bool = True
    tray_size: int = TRAY_SIZE
    warm_up_days: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    handset_share: float = 0.0
    aoi_images: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.days <= MAX_DAYS:
            raise invalid("twin.days_invalid", f"days must be above 0 and at most {MAX_DAYS:g}")
        if not 0 < self.scale <= MAX_SCALE:
            raise invalid("twin.scale_invalid", f"scale must be above 0 and at most {MAX_SCALE:g}")
        if self.seed < 0:
            raise invalid("twin.seed_invalid", "seed must be zero or positive")
        if self.start is not None and self.start.tzinfo is None:
            raise invalid("twin.start_naive", "the start time needs a time zone")
        if not 0 < self.target_utilisation <= 1:
            raise invalid("twin.utilisation_invalid", "target utilisation must be in (0, 1]")
        if not 0 <= self.handset_share <= 1:
            raise invalid("twin.handset_share_invalid", "handset share must be in [0, 1]")
        if not 0 <= self.aoi_images <= 1:
            raise invalid("twin.aoi_images_invalid", "the AOI image share must be in [0, 1]")
        if not 1 <= self.tray_size <= 1000:
            raise invalid("twin.tray_size_invalid", "tray size must be 1-1000")

    def start_time(self) -> datetime:
        """The start: as given, else `days` before the last full hour. Work already scheduled
        when the horizon is reached is sent too, so the history ends about now."""
        if self.start is not None:
            return self.start.astimezone(UTC)
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        return hour - timedelta(days=self.days, hours=1)

    def tag(self, start: datetime) -> str:
        """Five characters naming this run in uids, event ids and batch codes: a function of the
        seed, start and load, so a rerun replays (duplicates) and another run never collides."""
        key = f"{self.seed}|{start.isoformat()}|{self.scale!r}".encode()
        digest = int.from_bytes(hashlib.sha256(key).digest()[:8], "big")
        alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        chars = []
        for _ in range(5):
            digest, index = divmod(digest, len(alphabet))
            chars.append(alphabet[index])
        return "".join(chars)
