"""URL slugs: lowercase ASCII words joined by hyphens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable

from lnob_api.errors import InvalidInput

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: "Country action summary: Viet Nam" ->
    "country-action-summary-viet-nam"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub("-", ascii_text.lower()).strip("-")


SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def is_slug(text: str) -> bool:
    return bool(SLUG_PATTERN.match(text))


async def unique_slug(
    wanted: str | None,
    text: str,
    *,
    taken: Callable[[str], Awaitable[bool]],
    max_length: int,
    fallback: str,
) -> str:
    """The slug a client asked for (checked: format, length, not taken), or one made from
    ``text`` with ``-2``, ``-3``... appended until it is free."""
    if wanted is not None:
        if not is_slug(wanted) or len(wanted) > max_length:
            raise InvalidInput("slug", "use lowercase letters, digits and hyphens", code="INVALID")
        if await taken(wanted):
            raise InvalidInput("slug", f"{wanted!r} is already used", code="NOT_UNIQUE")
        return wanted
    # Room for a "-NN" suffix within the column's length.
    base = slugify(text)[: max_length - 10].strip("-") or fallback
    slug, n = base, 1
    while await taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug
