"""URL slugs: lowercase ASCII words joined by hyphens."""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: "Country action summary: Viet Nam" ->
    "country-action-summary-viet-nam"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub("-", ascii_text.lower()).strip("-")


SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def is_slug(text: str) -> bool:
    return bool(SLUG_PATTERN.match(text))
