"""Picking a language: the ``lang`` argument, else the Accept-Language header, else English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUPPORTED = ("en", "fr", "es", "ne", "sw")
DEFAULT = "en"


def negotiate(accept_language: str | None) -> str:
    """The best supported language in an Accept-Language header (RFC 9110 q-values)."""
    if not accept_language:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in SUPPORTED and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT


def localized(english: str, translations: Mapping[str, Any], lang: str) -> str:
    """The translation for ``lang`` when there is one, else the English text."""
    if lang == DEFAULT:
        return english
    text = translations.get(lang)
    return text if isinstance(text, str) and text else english
