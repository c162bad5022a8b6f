"""An observation's unit: its one canonical form, and whether it counts people.

Disclosure control treats a count (the value is the group's size) differently from a rate or
a mean, and both sides of it decide which a unit is: SQL (the read paths' ``suppressed``) and
Python (secondary suppression, the audit, perturbation bounds). They agree because:

- every stored unit is canonical (``canonical_unit``; ``ck_observations_unit_canonical``): no
  control, format or separator character but the plain space, and no space at either end or
  twice in a row. The characters are written once, as one regular expression that both
  PostgreSQL and Python read (``BLANK`` and ``INVISIBLE``);
- a unit counts when its **ASCII** upper case is one of ``COUNT_UNITS``: ``str.upper`` maps
  the dotless i (U+0131) and the long s (U+017F) to I and S, and PostgreSQL's ``upper``
  follows the collation (glibc maps them too; "C" does not), so SQL folds with
  ``COLLATE "C"`` and Python with ``ascii_upper``;
- a unit that reads as a count unit only through such letters (``looks_like_count``) is refused
  at upload, so no count passes as a rate by its spelling.
"""

from __future__ import annotations

import re
import unicodedata

# Units whose value is a number of people or households (the value is the group's size; the
# values add up over categories).
COUNT_UNITS = frozenset({"NUMBER", "PERSONS", "HOUSEHOLDS", "COUNT", "INDIVIDUALS", "PEOPLE"})

# Control characters, and Unicode separators and Python's whitespace other than the space
# (Unicode 15): a unit holds them as one space. Both PostgreSQL (ARE) and Python read this.
BLANK = r"[\x01-\x1f\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# Format characters (Unicode 15, category Cf: soft hyphen, zero-width space and joiners,
# direction marks, byte order mark...): invisible, a unit holds none.
INVISIBLE = (
    r"[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    r"\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    r"\U000e0020-\U000e007f]"
)
# What a canonical unit never holds: one of those, a space at either end or two spaces.
NOT_CANONICAL = f"{BLANK}|{INVISIBLE}|^ | $|  "

_BLANK = re.compile(BLANK)
_INVISIBLE = re.compile(INVISIBLE)
_SPACES = re.compile(" +")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Cyrillic and Greek letters drawn like Latin ones (no Unicode normalisation maps them).
_HOMOGLYPHS = str.maketrans(
    "\u0430\u0432\u0435\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445\u0456"
    "\u0455\u0458\u0501\u04bb\u04cf\u051b\u051d\u0410\u0412\u0415\u041a\u041c\u041d"
    "\u041e\u0420\u0421\u0422\u0423\u0425\u0406\u0405\u0408\u0391\u0392\u0395\u0396"
    "\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf\u03b9\u03ba"
    "\u03bd\u03c1\u03c5",
    "abekmhopctyxisjdhlqwABEKMHOPCTYXISJABEZHIKMNOPTYXoikvpu",
)


def canonical_unit(text: str) -> str:
    """The unit as stored: format characters dropped, other blanks made spaces, spaces
    collapsed and trimmed (``"persons\\t"``, ``"\\npersons"``, ``" persons\\u00a0"`` ->
    ``"persons"``)."""
    return _SPACES.sub(" ", _BLANK.sub(" ", _INVISIBLE.sub("", text))).strip(" ")


def ascii_upper(unit: str) -> str:
    """Upper case of the ASCII letters only, as PostgreSQL's ``upper(unit COLLATE "C")``."""
    return unit.translate(_ASCII_UPPER)


def is_count_unit(unit: str | None) -> bool:
    """Whether the (stored, canonical) unit counts people: its value is the group's size."""
    return ascii_upper(unit or "") in COUNT_UNITS


def looks_like_count(unit: str) -> str | None:
    """The count unit a non-ASCII unit reads as (PERSONS with a long s or a Cyrillic er,
    INDIVIDUALS with dotless i's, in fullwidth letters or with accents), else None."""
    if unit.isascii():
        return None
    letters = unicodedata.normalize("NFKD", canonical_unit(unit)).translate(_HOMOGLYPHS)
    bare = "".join(c for c in letters if not unicodedata.combining(c)).upper()
    return bare if bare in COUNT_UNITS else None
