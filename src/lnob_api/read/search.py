"""Word search: every word of a query must appear in the searched text (LIKE, not full text)."""

from __future__ import annotations

ESCAPE = "\\"


def word_patterns(text: str | None) -> list[str]:
    """One ``%word%`` LIKE pattern per lower-cased word of ``text``, with ``%``, ``_`` and the
    escape character taken literally (use with ``escape=ESCAPE``)."""
    patterns = []
    for word in (text or "").lower().split():
        escaped = (
            word.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
        )
        patterns.append(f"%{escaped}%")
    return patterns
