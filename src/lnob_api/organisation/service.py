"""Organisation use cases: create, list, find (operator's command), and the API's create,
update and delete (partnership admins, audited).

Services validate, write through the repository and never commit: the caller owns the
transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api import models
from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.declare.entities import ORGANISATION
from lnob_api.domain_kit import writes
from lnob_api.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    ValidationFailed,
    check_version,
)
from lnob_api.models.common import mark_edited
from lnob_api.models.enums import OrganisationKind
from lnob_api.organisation import admin_repository as repo
from lnob_api.organisation.admin_repository import OrganisationRecord
from lnob_api.slugs import slugify

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# The limits of declare.entities.ORGANISATION, whose fields these checks are.
SLUG_MAX = ORGANISATION.limits["slug"]
NAME_MAX = ORGANISATION.limits["name"]
WEBSITE_MAX = ORGANISATION.limits["website"]
DESCRIPTION_MAX = ORGANISATION.limits["description"]
# The declared fields checked here (above); the others the declaration checks, by input name.
OWN = frozenset({"slug", "name", "kind", "country_code", "website", "description"})
MORE = {f.input_name: f.name for f in ORGANISATION.editable if f.name not in OWN}

# An organisation named by its key or by its slug.
OrganisationRef = int | str

__all__ = [
    "Actor",
    "OrganisationRecord",
    "OrganisationRef",
    "create",
    "create_organisation",
    "delete",
    "find",
    "list_organisations",
    "organisation_by_slug",
    "parse_kind",
    "update",
]


def parse_kind(value: str | OrganisationKind) -> OrganisationKind:
    """An organisation kind from its name, case-insensitively."""
    try:
        return OrganisationKind(str(value).strip().upper())
    except ValueError:
        kinds = ", ".join(k.value for k in OrganisationKind)
        raise InvalidInput("kind", f"unknown kind {value!r} (expected one of {kinds})") from None


def _check_slug(slug: str, problems: list[InvalidInput]) -> str:
    if not SLUG.match(slug) or len(slug) > SLUG_MAX:
        problems.append(
            InvalidInput(
                "slug",
                f"{slug!r} is not a slug (lower-case letters, digits and hyphens, "
                f"starting with a letter or digit, at most {SLUG_MAX} characters)",
                code="TOO_LONG" if SLUG.match(slug) else "INVALID",
            )
        )
    return slug


def _check_name(name: str, problems: list[InvalidInput]) -> str:
    name = name.strip()
    if not name:
        problems.append(InvalidInput("name", "a name is required", code="REQUIRED"))
    elif len(name) > NAME_MAX:
        problems.append(InvalidInput("name", f"at most {NAME_MAX} characters", code="TOO_LONG"))
    return name


def _check_kind(kind: str | OrganisationKind, problems: list[InvalidInput]) -> OrganisationKind:
    try:
        return parse_kind(kind)
    except InvalidInput as exc:
        problems.append(exc)
        return OrganisationKind.OTHER


def _check_website(website: str | None, problems: list[InvalidInput]) -> str | None:
    website = (website or "").strip() or None
    if website is None:
        return None
    parts = urlsplit(website)
    if len(website) > WEBSITE_MAX:
        problems.append(
            InvalidInput("website", f"at most {WEBSITE_MAX} characters", code="TOO_LONG")
        )
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(InvalidInput("website", f"{website!r} is not an http(s) address"))
    return website


def _check_description(description: str | None, problems: list[InvalidInput]) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        problems.append(
            InvalidInput("description", f"at most {DESCRIPTION_MAX} characters", code="TOO_LONG")
        )
    return description


async def _check_country(
    conn: AsyncConnection, country_code: str | None, problems: list[InvalidInput]
) -> str | None:
    country = country_code.strip().upper() if country_code else None
    if country is not None and not await repo.country_exists(conn, country):
        problems.append(
            InvalidInput(
                "country",
                f"{country_code!r} is not an ISO 3166-1 alpha-2 country code",
                code="INVALID_CODE",
            )
        )
    return country


def _check_more(
    given: Mapping[str, Any], problems: list[InvalidInput], *, creating: bool
) -> dict[str, Any]:
    """The ``{column: value}`` of the declared fields without a check here (``MORE``) among
    ``given`` (by input name), checked by the declaration; a create leaves out a null one, so
    that its column's default applies."""
    values = {
        MORE[name]: value
        for name, value in given.items()
        if name in MORE and (value is not None or not creating)
    }
    ORGANISATION.check_edits(values, problems)
    return values


def _refusal(problems: list[InvalidInput]) -> DomainError:
    """One problem as itself, several together."""
    return problems[0] if len(problems) == 1 else ValidationFailed(problems)


async def organisation_by_slug(conn: AsyncConnection, slug: str) -> OrganisationRecord:
    """The organisation with this slug; NotFound when there is none."""
    found = await repo.organisation_by_slug(conn, slug.strip())
    if found is None:
        raise NotFound(f"no organisation with slug {slug!r}")
    return found


async def find(conn: AsyncConnection, ref: OrganisationRef, *, field: str) -> OrganisationRecord:
    """The organisation with this key or slug; a NOT_FOUND problem on ``field`` otherwise."""
    if isinstance(ref, int):
        found = await repo.organisation_by_id(conn, ref)
    else:
        found = await repo.organisation_by_slug(conn, ref.strip())
    if found is None:
        raise InvalidInput(field, f"no organisation {ref!r}", code="NOT_FOUND")
    return found


async def create_organisation(
    conn: AsyncConnection,
    *,
    slug: str,
    name: str,
    kind: str | OrganisationKind = OrganisationKind.OTHER,
    country_code: str | None = None,
    website: str | None = None,
    description: str = "",
    more: Mapping[str, Any] | None = None,
) -> OrganisationRecord:
    """Add an organisation; its slug must be new and its country a known ISO 3166-1 code.
    ``more``: the other declared fields, by input name."""
    problems: list[InvalidInput] = []
    slug = _check_slug(slug.strip(), problems)
    name = _check_name(name, problems)
    parsed_kind = _check_kind(kind, problems)
    country = await _check_country(conn, country_code, problems)
    website = _check_website(website, problems)
    description = _check_description(description, problems)
    values = _check_more(more or {}, problems, creating=True)
    if problems:
        raise _refusal(problems)
    if await repo.organisation_by_slug(conn, slug) is not None:
        raise Conflict(f"an organisation with slug {slug!r} already exists")
    return await repo.insert_organisation(
        conn,
        slug=slug,
        name=name,
        kind=parsed_kind.value,
        country_code=country,
        website=website,
        description=description,
        more=values,
    )


async def list_organisations(conn: AsyncConnection) -> list[OrganisationRecord]:
    """Every organisation, by slug."""
    return await repo.all_organisations(conn)


async def _free_slug(conn: AsyncConnection, name: str) -> str:
    base = slugify(name)[: SLUG_MAX - 4].strip("-") or "organisation"
    slug, n = base, 1
    while await repo.organisation_by_slug(conn, slug) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    slug: str | None,
    kind: OrganisationKind | None,
    country: str | None,
    website: str | None,
    description: str | None,
    **more: Any,
) -> models.Organisation:
    """Partnership admins add an organisation; the slug defaults to one made from the name.
    ``more``: the other declared fields of the create input (``MORE``), by input name."""
    checks.require_partnership_admin(actor.principal)
    conn = await session.connection()
    try:
        created = await create_organisation(
            conn,
            slug=slug if slug is not None else await _free_slug(conn, name),
            name=name,
            kind=kind or OrganisationKind.OTHER,
            country_code=country,
            website=website,
            description=description or "",
            more=more,
        )
    except Conflict as exc:
        raise InvalidInput("slug", exc.message, code="NOT_UNIQUE") from None
    organisation = await repo.lock(session, created.id)
    assert organisation is not None  # inserted just above, in this transaction
    await record_change(
        session, actor, "organisation.create", organisation, None, after=_snap(organisation)
    )
    return organisation


def _snap(organisation: models.Organisation) -> dict[str, Any]:
    return audit.snapshot(organisation)


async def _load(
    session: AsyncSession, organisation_id: int, row_version: int
) -> models.Organisation:
    organisation = await repo.lock(session, organisation_id)
    if organisation is None:
        raise NotFound("no such organisation")
    check_version("organisation", organisation.row_version, row_version)
    return organisation


async def update(
    session: AsyncSession,
    actor: Actor,
    *,
    organisation_id: int,
    row_version: int,
    fields: dict[str, Any],
) -> models.Organisation:
    """Change an organisation's name, kind, country, website or description."""
    checks.require_partnership_admin(actor.principal)
    organisation = await _load(session, organisation_id, row_version)
    problems: list[InvalidInput] = []
    values: dict[str, Any] = {}
    if "name" in fields:
        values["name"] = _check_name(fields["name"] or "", problems)
    if fields.get("kind") is not None:
        values["kind"] = _check_kind(fields["kind"], problems)
    if "country" in fields:
        conn = await session.connection()
        values["country_code"] = await _check_country(conn, fields["country"], problems)
    if "website" in fields:
        values["website"] = _check_website(fields["website"], problems)
    if "description" in fields:
        values["description"] = _check_description(fields["description"], problems)
    values.update(_check_more(fields, problems, creating=False))
    if problems:
        raise ValidationFailed(problems)
    before = _snap(organisation)
    for name, value in values.items():
        setattr(organisation, name, value)
    mark_edited(organisation)
    await session.flush()
    await record_change(
        session, actor, "organisation.update", organisation, before, after=_snap(organisation)
    )
    return organisation


def _blockers(found: repo.Dependants) -> str:
    parts = []
    if found.users:
        parts.append(f"{found.users} user{'s' * (found.users != 1)}")
    if found.clients:
        parts.append(
            f"{found.clients} OAuth client{'s' * (found.clients != 1)} (revoked ones count)"
        )
    if found.active_grants:
        parts.append(f"{found.active_grants} active grant{'s' * (found.active_grants != 1)}")
    if found.coalitions:
        parts.append(
            f"membership of coalition{'s' * (len(found.coalitions) != 1)} "
            + ", ".join(found.coalitions)
        )
    return "; ".join(parts)


async def delete(
    session: AsyncSession, actor: Actor, *, organisation_id: int, row_version: int
) -> int:
    """Delete an organisation that nothing depends on any more."""
    checks.require_partnership_admin(actor.principal)
    organisation = await _load(session, organisation_id, row_version)
    found = await repo.dependants(await session.connection(), organisation_id)
    if found:
        raise InvalidInput(
            "id",
            f"{organisation.slug} still has {_blockers(found)}: remove or revoke them first",
            code="INVALID_STATE",
        )
    await writes.deleted(session, actor, "organisation.delete", organisation, _snap(organisation))
    return organisation_id


async def exists(session: AsyncSession, organisation_id: int) -> bool:
    """Whether the organisation exists (other domains check references to it)."""
    return await repo.exists(session, organisation_id)
