"""Language tags (BCP 47) of the partnership's datasets and publications.

A tag is a primary language subtag, optionally a script and a region (``en``, ``sw-KE``,
``bn-Beng-IN``), written in its canonical case. The primary language must be one the
partnership publishes in; each maps to the EU Publications Office language authority, which
DCAT-AP uses for ``dct:language``.
"""

from __future__ import annotations

import re
from typing import Any

# Primary subtag -> EU language authority code (ISO 639-2/B based).
LANGUAGES = {
    "bn": "BEN",
    "da": "DAN",
    "en": "ENG",
    "es": "SPA",
    "fr": "FRA",
    "hi": "HIN",
    "ne": "NEP",
    "ny": "NYA",
    "sw": "SWA",
    "vi": "VIE",
}
AUTHORITY = "http://publications.europa.eu/resource/authority/language/"
# The database's check on stored tags (the canonical form ``tag`` returns).
PATTERN = "^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$"
_TAG = re.compile(r"([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?", re.IGNORECASE)


def tag(value: str) -> str:
    """``value`` as a canonical BCP 47 tag; ValueError saying what is wrong otherwise."""
    text = value.strip()
    match = _TAG.fullmatch(text) if len(text) <= 35 else None
    if match is None:
        raise ValueError(f"{value[:40]!r} is not a BCP 47 language tag such as en or sw-KE")
    language, script, region = match.groups()
    if language.lower() not in LANGUAGES:
        raise ValueError(
            f"{language!r} is not a language the partnership publishes in; use one of "
            + ", ".join(sorted(LANGUAGES))
        )
    parts = [language.lower(), script.title() if script else "", region.upper() if region else ""]
    return "-".join(p for p in parts if p)


def linguistic_system(value: str) -> dict[str, Any]:
    """The EU language authority's concept for a tag (undetermined, UND, for one it lacks)."""
    code = LANGUAGES.get(value.split("-", 1)[0].lower(), "UND")
    return {"@id": f"{AUTHORITY}{code}", "@type": "dct:LinguisticSystem"}
