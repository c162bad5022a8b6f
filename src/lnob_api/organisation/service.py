"""Organisation use cases for administration: create, list, find by slug.

Services validate, write through the repository and never commit: the caller owns the
transaction.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.errors import Conflict, InvalidInput, NotFound
from lnob_api.models.enums import OrganisationKind
from lnob_api.organisation import admin_repository as repo
from lnob_api.organisation.admin_repository import OrganisationRecord

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SLUG_MAX = 80
NAME_MAX = 300

__all__ = [
    "OrganisationRecord",
    "create_organisation",
    "list_organisations",
    "organisation_by_slug",
    "parse_kind",
]


def parse_kind(value: str | OrganisationKind) -> OrganisationKind:
    """An organisation kind from its name, case-insensitively."""
    try:
        return OrganisationKind(str(value).strip().upper())
    except ValueError:
        kinds = ", ".join(k.value for k in OrganisationKind)
        raise InvalidInput("kind", f"unknown kind {value!r} (expected one of {kinds})") from None


def _check_slug(slug: str) -> str:
    if not SLUG.match(slug) or len(slug) > SLUG_MAX:
        raise InvalidInput(
            "slug",
            f"{slug!r} is not a slug (lower-case letters, digits and hyphens, "
            f"starting with a letter or digit, at most {SLUG_MAX} characters)",
        )
    return slug


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("name", "a name is required")
    if len(name) > NAME_MAX:
        raise InvalidInput("name", f"at most {NAME_MAX} characters")
    return name


async def organisation_by_slug(conn: AsyncConnection, slug: str) -> OrganisationRecord:
    """The organisation with this slug; NotFound when there is none."""
    found = await repo.organisation_by_slug(conn, slug.strip())
    if found is None:
        raise NotFound(f"no organisation with slug {slug!r}")
    return found


async def create_organisation(
    conn: AsyncConnection,
    *,
    slug: str,
    name: str,
    kind: str | OrganisationKind = OrganisationKind.OTHER,
    country_code: str | None = None,
) -> OrganisationRecord:
    """Add an organisation; its slug must be new and its country a known ISO 3166-1 code."""
    slug = _check_slug(slug.strip())
    name = _check_name(name)
    kind = parse_kind(kind)
    country = country_code.strip().upper() if country_code else None
    if country is not None and not await repo.country_exists(conn, country):
        raise InvalidInput("country", f"{country_code!r} is not an ISO 3166-1 alpha-2 country code")
    if await repo.organisation_by_slug(conn, slug) is not None:
        raise Conflict(f"an organisation with slug {slug!r} already exists")
    return await repo.insert_organisation(
        conn, slug=slug, name=name, kind=kind.value, country_code=country
    )


async def list_organisations(conn: AsyncConnection) -> list[OrganisationRecord]:
    """Every organisation, by slug."""
    return await repo.all_organisations(conn)
