"""What a seed run did, table by table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class SeedReport:
    """Rows inserted and updated per table, and source rows skipped (with why, per table)."""

    inserted: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    demo_skipped: bool = False

    def add(self, table: str, *, inserted: int = 0, updated: int = 0, skipped: int = 0) -> None:
        for counts, n in (
            (self.inserted, inserted),
            (self.updated, updated),
            (self.skipped, skipped),
        ):
            if n:
                counts[table] += n

    @property
    def total_inserted(self) -> int:
        return sum(self.inserted.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    def __str__(self) -> str:
        parts = [
            f"seed: {self.total_inserted} inserted{_detail(self.inserted)}",
            f"{self.total_updated} updated{_detail(self.updated)}",
        ]
        if sum(self.skipped.values()):
            parts.append(f"{sum(self.skipped.values())} skipped{_detail(self.skipped)}")
        if self.demo_skipped:
            parts.append("demo set already present")
        return "; ".join(parts)


def _detail(counts: Counter[str]) -> str:
    shown = [f"{table} {n}" for table, n in sorted(counts.items()) if n]
    return f" ({', '.join(shown)})" if shown else ""
