"""Every field of a generated create or update input is one its service stores, and a value
over a declared limit is refused with the field's path.

Driven by the declarations (``declare.entities``): for each entity whose GraphQL inputs are
generated (``@create_input``/``@update_input``, or ``@inputs`` for a dataset), each declared
field of the input (within its nested input, such as a recommendation's ``authority``) gets a valid
value (from its column's Python type, or a value of its own where the service checks more:
codes, addresses, slugs), goes through GraphQL over HTTP with a real token, and is read back
from the stored row. A field added to a declaration is covered without editing this test.
"""

from __future__ import annotations

import enum
import importlib
import itertools
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import declare, models
from lnob_api.auth.keys import KeyStore
from lnob_api.declare import Entity, Field
from lnob_api.declare.entities import (
    ACCESS_REQUEST,
    AREA,
    COALITION,
    DATASET,
    INDICATOR,
    ORGANISATION,
    PROJECT,
    PUBLICATION,
    QUALITY_CRITERION,
)
from lnob_api.declare.more import MARGINALISED_GROUP
from lnob_api.declare.statistics import (
    RECOMMENDATION,
    RECOMMENDATION_RESPONSE,
    SCORECARD,
    SCORECARD_ACTION,
    SCORECARD_CRITERION,
)
from lnob_api.graphql.ids import from_global_id, to_global_id

ALL_SCOPES = ("data:read", "data:write", "coalition:admin", "partnership:admin")
_seq = itertools.count(1)


class World:
    """A coalition whose admin is also a partnership admin (``admin``), a subdivision of its
    country, and a dataset whose description is public and whose data is the coalition's, with
    a statistics agency's user who may ask for it (``requester``)."""

    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        conn = self.conn
        self.coalition = await f.create_coalition(conn)
        self.code = str(self.coalition["code"])
        member = await f.create_organisation(conn)
        await f.add_member(conn, self.coalition, member)
        frontend = await f.create_client(conn, member)
        admin = await f.create_user(conn, is_partnership_admin=True)
        await f.give_role(conn, admin, self.coalition, "ADMIN")
        self.tokens["admin"] = token_for(self.keys, client=frontend, user=admin, scopes=ALL_SCOPES)
        agency = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
        requester = await f.create_user(conn)
        await f.join_organisation(conn, requester, agency)
        self.tokens["requester"] = token_for(self.keys, client=frontend, user=requester)
        dataset = await f.create_dataset(
            conn, self.coalition, visibility="COALITION", metadata_visibility="PUBLIC"
        )
        self.dataset = to_global_id("Dataset", dataset["id"])
        self.datasets = [dataset, await f.create_dataset(conn, self.coalition)]
        self.organisations = [member, agency]
        self.publications = [await f.create_publication(conn, self.coalition) for _ in range(2)]
        recommendation = sa.insert(models.Recommendation).values(
            coalition_id=self.coalition["id"],
            dataset_id=dataset["id"],
            text="Count the people with disabilities in every ward.",
            authority_name="County Assembly",
            authority_level="LOCAL",
        )
        key = await conn.scalar(recommendation.returning(models.Recommendation.id))
        self.recommendation = to_global_id("Recommendation", key)
        scorecard = sa.insert(models.Scorecard).values(
            coalition_id=self.coalition["id"],
            title="Health centre",
            service="primary health centre",
            area_code=self.code,
            period="2019",
            period_start=date(2019, 1, 1),
            period_end=date(2019, 12, 31),
        )
        key = await conn.scalar(scorecard.returning(models.Scorecard.id))
        self.scorecard = to_global_id("Scorecard", key)
        self.criteria = []
        for position in (1, 2):
            criterion = sa.insert(models.ScorecardCriterion).values(
                scorecard_id=key,
                position=position,
                label=f"Criterion {position}",
                target_code="3.8",
            )
            found = await conn.execute(criterion.returning(models.ScorecardCriterion.id))
            self.criteria.append({"id": found.scalar_one()})
        self.projects = [await f.create_project(conn, self.coalition) for _ in range(2)]
        area = models.Area
        self.subdivision = await conn.scalar(
            sa.select(area.code)
            .where(area.country_code == self.code, area.level == "SUBDIVISION")
            .order_by(area.code)
            .limit(1)
        )
        countries = sa.select(area.code).where(area.level == "COUNTRY").order_by(area.code)
        self.countries = list((await conn.execute(countries.limit(2))).scalars())
        taken = sa.select(models.Coalition.code)
        self.free_country = await conn.scalar(countries.where(area.code.not_in(taken)).limit(1))
        return self

    async def payload(self, mutation: str, input: dict[str, Any], as_: str) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": mutation, "variables": {"input": input}},
            headers=bearer(self.tokens[as_]),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert isinstance(payload, dict)
        return payload

    async def stored(self, entity: Entity, global_id: str) -> dict[str, Any]:
        """The row a payload's ``id`` names, as stored."""
        (key_column,) = entity.table.primary_key.columns
        _, key = from_global_id(global_id)
        row = await self.conn.execute(
            sa.select(entity.table).where(key_column == (int(key) if key.isdigit() else key))
        )
        return dict(row.mappings().one())


# A value of a field: the one sent through GraphQL and the one stored (None: the same).
Value = tuple[Any, Any]
# A field's values of its own (the service checks more than its type says), for the create
# (first) and the update (second): world, second -> value.
Own = Callable[[World, bool], Value]


def _n() -> int:
    return next(_seq)


def _slug(prefix: str, namespaced: bool = True) -> Own:
    def value(world: World, second: bool) -> Value:
        slug = f"{prefix}-{_n()}"
        return (f"{world.code.lower()}-{slug}" if namespaced else slug), None

    return value


def _same(first: Any, then: Any) -> Own:
    return lambda _world, second: ((then if second else first), None)


def _link(kind: str, rows: str) -> Own:
    """The global id of one of the world's ``rows`` (stored: its key)."""

    def value(world: World, second: bool) -> Value:
        key = getattr(world, rows)[second]["id"]
        return to_global_id(kind, key), key

    return value


@dataclass(frozen=True)
class Spec:
    """How one entity's generated inputs are called: the mutations, the row's field in their
    payloads, what the create input needs besides the declared fields, who calls them, and the
    values of the fields a service checks more than their type says."""

    entity: Entity
    create: str
    shown: str
    base: Callable[[World], dict[str, Any]]
    update: str | None = None
    as_: str = "admin"
    own: dict[str, Own] = field(default_factory=dict)
    # A limited field whose limit a check of its own enforces with another code.
    codes: dict[str, str] = field(default_factory=dict)


SPECS = (
    Spec(
        PROJECT,
        "projectCreate",
        "project",
        lambda w: {"coalition": w.code},
        "projectUpdate",
        own={"slug": _slug("project")},
        codes={"slug": "INVALID"},
    ),
    Spec(
        COALITION,
        "coalitionCreate",
        "coalition",
        lambda w: {},
        "coalitionUpdate",
        own={
            "code": lambda w, _second: (w.free_country, None),
            "slug": _slug("coalition", namespaced=False),
            "launched_year": _same(2019, 2021),
        },
        codes={"slug": "INVALID"},
    ),
    Spec(
        INDICATOR,
        "customIndicatorCreate",
        "indicator",
        lambda w: {"coalition": w.code},
        "customIndicatorUpdate",
        own={"target_code": _same("1.2", "10.2")},
    ),
    Spec(
        AREA,
        "localAreaCreate",
        "area",
        lambda w: {"coalition": w.code, "parent": w.subdivision, "code": f"W{_n()}"},
        "localAreaUpdate",
    ),
    Spec(
        ORGANISATION,
        "organisationCreate",
        "organisation",
        lambda w: {},
        "organisationUpdate",
        own={
            "slug": _slug("organisation", namespaced=False),
            "country_code": lambda w, second: (w.countries[second], None),
            "website": _same("https://one.example.org/", "https://two.example.org/"),
        },
    ),
    Spec(
        PUBLICATION,
        "publicationCreate",
        "publication",
        lambda w: {"coalition": w.code},
        "publicationUpdate",
        own={
            "slug": _slug("publication"),
            "language": _same("sw", "ne"),
            "file_url": _same("https://one.example.org/a.pdf", "https://two.example.org/b.pdf"),
        },
        codes={"slug": "INVALID"},
    ),
    Spec(
        DATASET,
        "datasetCreate",
        "dataset",
        lambda w: {"coalition": w.code},
        "datasetUpdate",
        own={
            "project_id": lambda w, second: (
                to_global_id("Project", w.projects[second]["id"]),
                w.projects[second]["id"],
            ),
            "area_code": lambda w, second: ((w.subdivision if second else w.code), None),
            "language": _same("sw", "ne"),
        },
    ),
    Spec(
        ACCESS_REQUEST,
        "accessRequestCreate",
        "accessRequest",
        lambda w: {"dataset": w.dataset},
        as_="requester",
        own={"requester_email": _same("asha@example.org", "rao@example.org")},
    ),
    Spec(
        SCORECARD,
        "scorecardCreate",
        "scorecard",
        lambda w: {"coalition": w.code},
        "scorecardUpdate",
        own={
            "project_id": _link("Project", "projects"),
            "dataset_id": _link("Dataset", "datasets"),
            "facilitator_organisation_id": _link("Organisation", "organisations"),
            "area_code": lambda w, second: ((w.subdivision if second else w.code), None),
            "period": _same("2019", "2020-Q2"),
            "scale_min": _same(0.0, 1.0),
            "scale_max": _same(10.0, 20.0),
        },
    ),
    Spec(
        RECOMMENDATION,
        "recommendationCreate",
        "recommendation",
        lambda w: {"coalition": w.code},
        "recommendationUpdate",
        own={
            "publication_id": _link("Publication", "publications"),
            "dataset_id": _link("Dataset", "datasets"),
            "authority_organisation_id": _link("Organisation", "organisations"),
        },
    ),
    Spec(
        RECOMMENDATION_RESPONSE,
        "recommendationRespond",
        "response",
        lambda w: {"id": w.recommendation},
        own={"responder_organisation_id": _link("Organisation", "organisations")},
    ),
    Spec(
        SCORECARD_CRITERION,
        "scorecardCriterionAdd",
        "criterion",
        lambda w: {"scorecard": w.scorecard},
        own={"target_code": _same("3.8", "1.2")},
    ),
    Spec(
        SCORECARD_ACTION,
        "scorecardActionAdd",
        "action",
        lambda w: {"scorecard": w.scorecard},
        "scorecardActionUpdate",
        own={
            "criterion_id": _link("ScorecardCriterion", "criteria"),
            "owner_organisation_id": _link("Organisation", "organisations"),
        },
    ),
    Spec(
        QUALITY_CRITERION,
        "qualityCriterionCreate",
        "qualityCriterion",
        lambda w: {"coalition": w.code},
        "qualityCriterionUpdate",
        own={"code": lambda w, second: (f"NSO-{_n()}", None)},
    ),
    Spec(
        MARGINALISED_GROUP,
        "marginalisedGroupCreate",
        "marginalisedGroup",
        lambda w: {"coalition": w.code},
        "marginalisedGroupUpdate",
        own={
            "code": lambda w, second: (f"LT_{_n()}", None),
            "maps_to": _same(
                [{"dimension": "SEX", "code": "F"}], [{"dimension": "AGE", "code": "Y_GE65"}]
            ),
        },
    ),
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _path(f_: Field) -> tuple[str, ...]:
    """The field's path in its input, in GraphQL names (``authority``, ``name``)."""
    return tuple(_camel(name) for name in f_.input_path)


def _put(sent: dict[str, Any], f_: Field, value: Any) -> None:
    """Set ``f_``'s value in an input, within its nested input when it has one."""
    *within, name = _path(f_)
    for part in within:
        sent = sent.setdefault(part, {})
    sent[name] = value


def _group(spec: Spec, f_: Field, create: bool) -> tuple[Field, ...]:
    """The fields an input sets with ``f_``: those of its nested input, or ``f_`` alone."""
    within = f_.edit.within if f_.edit else None
    if within is None:
        return (f_,)
    return tuple(g for g in spec.entity.edits(create=create) if g.edit and g.edit.within == within)


def _base(kind: Any) -> Any:
    return next(a for a in getattr(kind, "__args__", (kind,)) if a is not type(None))


def _typed(kind: Any, second: bool) -> Value:
    """A valid value of a plain field of Python type ``kind`` (sent, stored)."""
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        member = list(kind)[-2 if second else -1]
        return member.name, member
    if kind is bool:
        return (not second), None
    if kind is int:
        return (9 if second else 7), None
    if kind is float:
        return (0.3 if second else 0.25), None
    if kind is date:
        day = date(2024, 5, 6) if second else date(2024, 3, 4)
        return day.isoformat(), day
    assert kind is str, f"no plain value of {kind} here: give the field one in its Spec.own"
    return f"{'second' if second else 'first'} value {_n()}", None


def _value(spec: Spec, world: World, f_: Field, second: bool) -> Value:
    own = spec.own.get(f_.name)
    sent, stored = own(world, second) if own else _typed(_base(spec.entity.types[f_.name]), second)
    return sent, (sent if stored is None else stored)


def _mutation(name: str, spec: Spec) -> str:
    table = spec.entity.table.c
    lock = "rowVersion" if "row_version" in table else "updatedAt" if "updated_at" in table else ""
    kind = name[0].upper() + name[1:]
    return (
        f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {spec.shown} {{ id {lock} }}"
        " userErrors { field code message } } }"
    )


def _input(
    spec: Spec, world: World, fields: tuple[Field, ...], second: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The declared ``fields`` with valid values: (by input name, the stored values by column)."""
    sent: dict[str, Any] = {}
    stored: dict[str, Any] = {}
    for f_ in fields:
        given, stored[f_.name] = _value(spec, world, f_, second)
        _put(sent, f_, given)
    return sent, stored


async def _create(spec: Spec, world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create a row with every field of the create input; (the row shown, the values sent)."""
    sent, stored = _input(spec, world, spec.entity.edits(create=True), second=False)
    payload = await world.payload(_mutation(spec.create, spec), spec.base(world) | sent, spec.as_)
    assert payload["userErrors"] == [], payload
    return payload[spec.shown], stored


def _stored_as_given(row: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {name: row[name] for name in expected} == expected


def _ids(spec: Spec) -> str:
    return spec.entity.name


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await World(client, conn, signing_keys).build()


def test_every_entity_with_editable_fields_is_covered() -> None:
    modules = [
        importlib.import_module(f"{declare.__name__}.{found.name}")
        for found in pkgutil.iter_modules(declare.__path__)
    ]
    editable = {
        value.name
        for module in modules
        for value in vars(module).values()
        if isinstance(value, Entity) and value.editable
    }
    assert editable == {spec.entity.name for spec in SPECS}


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
async def test_a_create_stores_every_field_of_its_input(spec: Spec, world: World) -> None:
    # given / when: a create that gives every declared field of its input
    shown, expected = await _create(spec, world)
    # then: each is stored as given
    _stored_as_given(await world.stored(spec.entity, shown["id"]), expected)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.update], ids=_ids)
async def test_an_update_stores_every_field_of_its_input(spec: Spec, world: World) -> None:
    # given: a row
    shown, _ = await _create(spec, world)
    lock = {k: v for k, v in shown.items() if k != "id"}
    # when: an update that changes every declared field of its input
    sent, expected = _input(spec, world, spec.entity.edits(create=False), second=True)
    assert spec.update is not None
    mutation = _mutation(spec.update, spec)
    payload = await world.payload(mutation, {"id": shown["id"], **lock, **sent}, spec.as_)
    # then: each is stored as given
    assert payload["userErrors"] == [], payload
    _stored_as_given(await world.stored(spec.entity, shown["id"]), expected)


def _limited(create: bool) -> list[tuple[Spec, Field]]:
    return [
        (spec, f_)
        for spec in SPECS
        if create or spec.update
        for f_ in spec.entity.edits(create=create)
        if f_.edit is not None and f_.edit.limit is not None
    ]


def _limited_id(value: Any) -> str:
    return value.entity.name if isinstance(value, Spec) else value.name


def _refused(payload: dict[str, Any], spec: Spec, f_: Field) -> None:
    errors = {(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]}
    code = spec.codes.get(f_.name, "TOO_LONG")
    assert (("input", *_path(f_)), code) in errors, payload
    assert payload[spec.shown] is None


@pytest.mark.parametrize(("spec", "f_"), _limited(create=True), ids=_limited_id)
async def test_a_create_refuses_a_value_over_the_limit(spec: Spec, f_: Field, world: World) -> None:
    # given: a valid create input
    sent, _ = _input(spec, world, spec.entity.edits(create=True), second=False)
    assert f_.edit is not None and f_.edit.limit is not None
    # when: one field is one character over its limit
    _put(sent, f_, "x" * (f_.edit.limit + 1))
    payload = await world.payload(_mutation(spec.create, spec), spec.base(world) | sent, spec.as_)
    # then
    _refused(payload, spec, f_)


@pytest.mark.parametrize(("spec", "f_"), _limited(create=False), ids=_limited_id)
async def test_an_update_refuses_a_value_over_the_limit(
    spec: Spec, f_: Field, world: World
) -> None:
    # given: a row
    shown, _ = await _create(spec, world)
    assert f_.edit is not None and f_.edit.limit is not None and spec.update is not None
    # when: an update of one field (with its nested input's others), one over its limit
    input, _ = _input(spec, world, _group(spec, f_, create=False), second=True)
    _put(input, f_, "x" * (f_.edit.limit + 1))
    input.update(shown)
    payload = await world.payload(_mutation(spec.update, spec), input, spec.as_)
    # then
    _refused(payload, spec, f_)


def _updated() -> list[tuple[Spec, Field]]:
    """Each field of an update input, and the first field of each nested input (nulled as a
    whole)."""
    found: list[tuple[Spec, Field]] = []
    for spec in SPECS:
        if spec.update:
            edits = spec.entity.edits(create=False)
            found.extend((spec, f_) for f_ in edits if _group(spec, f_, False)[0] is f_)
    return found


@pytest.mark.parametrize(("spec", "f_"), _updated(), ids=_limited_id)
async def test_an_update_to_null_clears_or_is_refused_on_its_field(
    spec: Spec, f_: Field, world: World
) -> None:
    # given: a row
    shown, created = await _create(spec, world)
    assert spec.update is not None
    # when: an update of one field (or of its nested input) to null
    where = _path(f_)[:1]
    input = {**shown, where[0]: None}
    payload = await world.payload(_mutation(spec.update, spec), input, spec.as_)
    # then: user errors on that field (never an unexpected error), or the field is cleared
    # (or, where null means "leave it", as it was)
    fields = {tuple(e["field"] or ()) for e in payload["userErrors"]}
    assert all(found[:2] == ("input", *where) for found in fields), payload
    if not fields:
        stored = (await world.stored(spec.entity, shown["id"]))[f_.name]
        assert stored in (None, "", created.get(f_.name)), (f_.name, stored)


def _links() -> list[tuple[Spec, Field]]:
    return [
        (spec, f_)
        for spec in SPECS
        for f_ in spec.entity.edits(create=True)
        if f_.edit is not None and f_.edit.link is not None
    ]


@pytest.mark.parametrize(("spec", "f_"), _links(), ids=_limited_id)
async def test_a_create_refuses_a_link_that_is_not_an_id_of_its_type(
    spec: Spec, f_: Field, world: World
) -> None:
    # given: a valid create input
    sent, _ = _input(spec, world, spec.entity.edits(create=True), second=False)
    # when: one link names a row of another type
    _put(sent, f_, to_global_id("Nothing", 1))
    payload = await world.payload(_mutation(spec.create, spec), spec.base(world) | sent, spec.as_)
    # then: INVALID_ID on that field's path, nothing written
    errors = {(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]}
    assert errors == {(("input", *_path(f_)), "INVALID_ID")}, payload
    assert payload[spec.shown] is None


def _given_always(spec: Spec, f_: Field) -> bool:
    """Whether a create must give ``f_``, or shows its default (``T! = default``)."""
    return spec.entity.required(f_) or (f_.edit is not None and f_.edit.default is not None)


# The entities whose services derive none of the optional fields from others: not those that
# make a slug of the title or name (Project, Coalition, Organisation, Publication), take the
# requester's name and email from the user (AccessRequest) or need a publication or a dataset
# (Recommendation), nor a dataset's (``@inputs``, not ``@create_input``).
_NOT_PLAIN = {
    *("Project", "Coalition", "Organisation", "Publication", "AccessRequest"),
    *("Recommendation", "Dataset"),
}
_PLAIN = [s for s in SPECS if s.entity.name not in _NOT_PLAIN]


@pytest.mark.parametrize("spec", _PLAIN, ids=_ids)
async def test_a_create_with_its_optional_fields_null_stores_their_defaults(
    spec: Spec, world: World
) -> None:
    # given: a create input with its required fields and every optional one null
    edits = spec.entity.edits(create=True)
    required = tuple(f_ for f_ in edits if _given_always(spec, f_))
    sent, expected = _input(spec, world, required, second=False)
    for f_ in edits:
        if f_ not in required:
            _put(sent, f_, None)
    # when
    payload = await world.payload(_mutation(spec.create, spec), spec.base(world) | sent, spec.as_)
    # then: written (never an unexpected error), the given ones as given, the others empty or
    # their column's default
    assert payload["userErrors"] == [], payload
    row = await world.stored(spec.entity, payload[spec.shown]["id"])
    _stored_as_given(row, expected)
    columns = spec.entity.table.c
    unexpected = {
        f_.name: row[f_.name]
        for f_ in edits
        if f_ not in required
        and row[f_.name] not in (None, "", False)
        and columns[f_.name].default is None
        and columns[f_.name].server_default is None
    }
    assert unexpected == {}
