"""Locating and reading the seed CSV files (UTF-8, RFC 4180 quoting)."""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"

# Languages with translation files, besides English (the official text in goals.csv etc.).
LANGUAGES = ("fr", "es", "ne", "sw")

Row = dict[str, str]


def read_csv(path: Path) -> list[Row]:
    """Every row of a CSV file with a header line, as dicts of stripped, NFC-normalised strings.

    The French and Spanish translation files spell accents as combining marks (NFD); stored
    that way, "pauvreté" typed on a keyboard (NFC) would never match them.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {key: unicodedata.normalize("NFC", (value or "").strip()) for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class SeedFiles:
    """The reference CSV files under one seeds folder."""

    root: Path = DEFAULT_SEEDS_DIR

    def goals(self) -> list[Row]:
        return read_csv(self.root / "sdg" / "goals.csv")

    def targets(self) -> list[Row]:
        return read_csv(self.root / "sdg" / "targets.csv")

    def indicators(self) -> list[Row]:
        return read_csv(self.root / "sdg" / "indicators.csv")

    def translations(self) -> dict[tuple[str, str], dict[str, str]]:
        """Titles by (kind, code), each a {language: title} dict; kind is goal/target/indicator."""
        titles: dict[tuple[str, str], dict[str, str]] = {}
        for lang in LANGUAGES:
            for row in read_csv(self.root / "sdg" / "translations" / f"{lang}.csv"):
                if row["title"]:
                    titles.setdefault((row["kind"], row["code"]), {})[lang] = row["title"]
        return titles

    def goal_short_titles(self) -> dict[str, dict[str, str]]:
        """Short goal names by goal code, each a {language: name} dict (English left out)."""
        names: dict[str, dict[str, str]] = {}
        for row in read_csv(self.root / "sdg" / "translations" / "goal_short_titles.csv"):
            if row["lang"] != "en" and row["short_title"]:
                names.setdefault(row["code"], {})[row["lang"]] = row["short_title"]
        return names

    def coalitions(self) -> list[Row]:
        return read_csv(self.root / "lnob" / "coalitions.csv")

    def publications(self) -> list[Row]:
        return read_csv(self.root / "lnob" / "publications.csv")
