"""Shapes and natural order of SDG goal, target and indicator codes.

Codes are compared as text everywhere (SQL ``ORDER BY sort_key``, keyset pagination), so each
code carries a sort key that orders naturally under plain string comparison: "1.2" before
"1.10", numbered targets before lettered ones ("1.5" before "1.a"), and custom indicators
("KE-C-0001") after every SDG code.
"""

from __future__ import annotations

import re

# Goal 1-17, then a target number (1-99) or letter, then an indicator number (1-99).
_GOAL = r"(?:1[0-7]|[1-9])"
_TARGET_PART = r"(?:[1-9][0-9]?|[a-z])"
_INDICATOR_PART = r"[1-9][0-9]?"

GOAL_CODE = re.compile(rf"^{_GOAL}$")
TARGET_CODE = re.compile(rf"^{_GOAL}\.{_TARGET_PART}$")
SDG_INDICATOR_CODE = re.compile(rf"^{_GOAL}\.{_TARGET_PART}\.{_INDICATOR_PART}$")
# A coalition's own indicator, namespaced by its country code.
CUSTOM_INDICATOR_CODE = re.compile(r"^[A-Z]{2}-C-[0-9]{4}$")

# Any dotted code of numbers and lowercase letters gets the padded key; anything else (custom
# indicators) is placed after all of them.
_SDG_SHAPED = re.compile(r"^[0-9]{1,3}(?:\.(?:[0-9]{1,3}|[a-z]{1,3}))*$")
_PAD = 3
_LETTER_PREFIX = "~"  # "~" sorts after every digit and letter in ASCII
_CUSTOM_PREFIX = "~~"


def is_goal_code(code: str) -> bool:
    """True for "1" .. "17"."""
    return GOAL_CODE.fullmatch(code) is not None


def is_target_code(code: str) -> bool:
    """True for target codes such as "1.2", "10.7" or "1.a"."""
    return TARGET_CODE.fullmatch(code) is not None


def is_sdg_indicator_code(code: str) -> bool:
    """True for global indicator codes such as "1.1.1", "16.10.2" or "17.b.1"."""
    return SDG_INDICATOR_CODE.fullmatch(code) is not None


def is_custom_indicator_code(code: str) -> bool:
    """True for coalition-defined indicator codes such as "KE-C-0001"."""
    return CUSTOM_INDICATOR_CODE.fullmatch(code) is not None


def sort_key(code: str) -> str:
    """The text whose plain (byte) order is the natural order of ``code``.

    Each numeric part is zero-padded to three digits and each letter part is prefixed with
    "~", so "1.10" -> "001.010" and "1.a" -> "001.~a". Any other code (custom indicators)
    becomes "~~" + code and sorts after every SDG code.
    """
    if not _SDG_SHAPED.fullmatch(code):
        return _CUSTOM_PREFIX + code
    return ".".join(
        part.zfill(_PAD) if part.isdigit() else _LETTER_PREFIX + part for part in code.split(".")
    )
