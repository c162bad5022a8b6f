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


def namespaced(wanted: str, namespace: str | None) -> str:
    """``wanted`` inside ``namespace`` (``ke`` -> ``ke-...``); unchanged when it already is."""
    if namespace is None:
        return wanted
    prefix = f"{namespace}-"
    return wanted if wanted.startswith(prefix) else prefix + wanted


async def unique_slug(
    wanted: str | None,
    text: str,
    *,
    taken: Callable[[str], Awaitable[bool]],
    max_length: int,
    fallback: str,
    namespace: str | None = None,
) -> str:
    """The slug a client asked for (checked: format, length, not taken), or one made from
    ``text`` with ``-2``, ``-3``... appended until it is free.

    With a ``namespace`` (an owning coalition's code, lower-case) the slug begins with it:
    slugs of different coalitions never collide, so a collision only ever involves the caller's
    own coalition, whose records its editors see anyway. A global namespace would tell an
    outsider which slugs hidden records of other coalitions hold."""
    if wanted is not None:
        wanted = namespaced(wanted, namespace)
        if not is_slug(wanted) or len(wanted) > max_length:
            raise InvalidInput("slug", "use lowercase letters, digits and hyphens", code="INVALID")
        if await taken(wanted):
            raise InvalidInput("slug", f"{wanted!r} is already used", code="NOT_UNIQUE")
        return wanted
    # Room for a "-NN" suffix within the column's length.
    base = namespaced(slugify(text)[: max_length - 14].strip("-") or fallback, namespace)
    slug, n = base, 1
    while await taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug
