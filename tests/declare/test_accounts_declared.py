"""The declared account entities (users, OAuth clients, grants): no secret is ever a field,
and their GraphQL types (and the declared OfficialValue) show exactly the fields they showed
before the declaration."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from lnob_api.client.service import ClientRecord
from lnob_api.declare.accounts import CLIENT, ENTITIES, GRANT, SECRETS, USER
from lnob_api.declare.official import OFFICIAL_VALUE
from lnob_api.grant.service import GrantRecord
from lnob_api.graphql.schema import schema
from lnob_api.user.service import RoleAssignment


def _secret_columns(table: sa.Table) -> set[str]:
    """The table's columns that hold a secret: the known ones, and any hash or secret."""
    return {c.name for c in table.c if c.name in SECRETS or "hash" in c.name or "secret" in c.name}


def test_the_secret_columns_are_the_ones_the_declaration_names() -> None:
    found = set().union(*(_secret_columns(e.table) for e in ENTITIES))
    assert found == {"password_hash", "secret_hash"}


def test_no_declared_field_of_an_account_entity_is_a_secret_column() -> None:
    for entity in ENTITIES:
        secrets = _secret_columns(entity.table)
        assert bool(secrets) == (entity is not GRANT), entity.name  # users' and clients' hold one
        assert not {f.name for f in entity.fields} & secrets, entity.name
        assert not {f.name for f in entity.fields if f.public} & secrets, entity.name


def _fields(name: str) -> list[str]:
    found = schema._schema.get_type(name)
    assert found is not None, name
    return list(found.fields)  # type: ignore[attr-defined]


def test_the_graphql_types_show_exactly_the_fields_they_showed() -> None:
    assert _fields("RoleHolder") == ["email", "name"]
    assert _fields("OAuthClient") == [
        "clientId",
        "name",
        "scopes",
        "redirectUris",
        "grantTypes",
        "isPublic",
        "createdAt",
        "revokedAt",
        "organisation",
    ]
    assert _fields("Grant") == [
        "id",
        "clientId",
        "expiresAt",
        "revokedAt",
        "note",
        "createdAt",
        "status",
        "coalition",
        "dataset",
        "organisation",
    ]


def test_no_graphql_type_shows_a_secret() -> None:
    shown = {
        field.lower()
        for kind in schema._schema.type_map.values()
        for field in getattr(kind, "fields", None) or {}
    }
    assert not shown & {"passwordhash", "secrethash", "password", "secret"}


def test_each_declared_field_is_an_attribute_of_the_record_the_type_is_built_from() -> None:
    for entity, record in ((USER, RoleAssignment), (CLIENT, ClientRecord), (GRANT, GrantRecord)):
        names = {f.name for f in dataclasses.fields(record)}
        assert {f.name for f in entity.fields} <= names, entity.name


def test_the_declared_official_value_shows_its_fields_as_before() -> None:
    # group_code and source_name are shown under their declared names (Field.shown_as)
    assert _fields("OfficialValue") == [
        "id",
        "indicatorCode",
        "areaCode",
        "period",
        "periodStart",
        "periodEnd",
        "value",
        "unit",
        "sex",
        "age",
        "disabilityStatus",
        "urbanisation",
        "group",
        "source",
        "sourceUrl",
        "retrievedOn",
        "note",
        "updatedAt",
        "area",
    ]
    assert {f.name: f.shown_as for f in OFFICIAL_VALUE.fields if f.shown_as} == {
        "group_code": "group",
        "source_name": "source",
    }
