"""What the compiled path knows of fields whose resolvers are hand-written, and of root lookups.

Plain column fields, ``id`` and connection fields (``graphql.connections.paged_of``) are read
from the types themselves. So are the links and translations: a ``graphql.linked`` field
(``to_one``/``to_many``) states its relation and key in its metadata, a localized field of
``graphql.declared`` its two columns; :data:`FIELDS` is made from those of the :data:`SERVED`
types whose target type is served too, so visibility comes from the same scoped source the
resolver uses. The one resolver written out (an indicator's ``isCustom``) is described
here by hand. A resolver that is not listed, or whose
behaviour differs from its entry, sends the query back to Strawberry. :data:`ROOTS` are the
served types' root lookups (``graphql.lookups``), each by the ``find`` its resolver calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from strawberry.types.base import StrawberryContainer
from strawberry.types.lazy_type import LazyType
from strawberry.utils.str_converters import to_camel_case

from lnob_api.declare.observation import DIMENSIONS
from lnob_api.graphql.area.types import Area
from lnob_api.graphql.coalition.types import Coalition, MarginalisedGroup
from lnob_api.graphql.dataset.types import Dataset
from lnob_api.graphql.declared import LOCALIZED
from lnob_api.graphql.linked import LINK, Link
from lnob_api.graphql.lookups import LOOKUP, Find
from lnob_api.graphql.lookups import Missing as Missing  # the lookup names nothing: null
from lnob_api.graphql.node import Node
from lnob_api.graphql.observation.types import Observation
from lnob_api.graphql.project.types import Project
from lnob_api.graphql.schema import Query
from lnob_api.graphql.sdg.types import Indicator, SdgGoal, SdgTarget
from lnob_api.read.relations import Through, ToMany, ToOne


@dataclass(frozen=True)
class One:
    """A to-one resolver: ``load_one(relation, parent row's column)``."""

    relation: ToOne
    parent: str


@dataclass(frozen=True)
class Many:
    """A plain list resolver: ``load_list(relation, parent row's key)``."""

    relation: ToMany | Through
    parent: str


@dataclass(frozen=True)
class Localized:
    """``i18n.localized(row[english], row[translations], lang or Accept-Language)``."""

    english: str
    translations: str


@dataclass(frozen=True)
class Computed:
    """A value computed from the row's columns (as a JSON boolean)."""

    build: Callable[[sa.FromClause], ColumnElement[bool]]


Spec = One | Many | Localized | Computed

# The types the compiled path renders: their column fields and the links among them.
SERVED: tuple[type[Node], ...] = (
    Area,
    Coalition,
    Dataset,
    Indicator,
    MarginalisedGroup,
    Observation,
    Project,
    SdgGoal,
    SdgTarget,
)


def _target(kind: Any) -> str:
    """The name of the object type a field shows (inside its list and ``| None``)."""
    while isinstance(kind, StrawberryContainer):
        kind = kind.of_type
    return kind.type_name if isinstance(kind, LazyType) else getattr(kind, "__name__", "")


def _declared(served: tuple[type[Node], ...]) -> dict[tuple[str, str], One | Many | Localized]:
    """The links and translations the ``served`` types declare, by (type, GraphQL field)."""
    names = {cls.__name__ for cls in served}
    found: dict[tuple[str, str], One | Many | Localized] = {}
    for cls in served:
        for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            at = (cls.__name__, field.graphql_name or to_camel_case(field.python_name))
            link: Link | None = field.metadata.get(LINK)
            if LOCALIZED in field.metadata:
                found[at] = Localized(*field.metadata[LOCALIZED])
            elif link is not None and _target(field.type) in names:
                parent = cls._source.key if link.key == "pk" else link.key
                relation = link.relation
                found[at] = (
                    One(relation, parent) if isinstance(relation, ToOne) else Many(relation, parent)
                )
    return found


FIELDS: dict[tuple[str, str], Spec] = {
    **_declared(SERVED),
    ("Indicator", "isCustom"): Computed(lambda row: row.c.coalition_id.is_not(None)),
}

# Non-null fields whose resolver asserts that the row exists (public reference rows, or a
# dataset that readable observations imply): compiled as the Strawberry path answers them.
ASSERTED = {
    (cls.__name__, to_camel_case(field.python_name))
    for cls in SERVED
    for field in cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
    if (link := field.metadata.get(LINK)) is not None and link.required
}

# String fields whose every value the database keeps to characters JSON writes as they are
# (no quote, backslash or control character): ``render.plain_string`` quotes them without
# ``to_json``'s escaping pass. Each is held by a CHECK (tests/compiled/test_plain_strings.py
# writes a quote into each and sees it refused).
PLAIN = {
    # FK to areas.code, CHECK ck_areas_code_format: ^[A-Z]{2}(-[A-Z0-9]+)*$
    ("Observation", "areaCode"),
    # CHECK ck_observations_period_format: digits, Q, S, W and dashes
    ("Observation", "period"),
    # CHECK ck_observations_<column>_plain (models.observation.ESCAPED): no quote, backslash or
    # control character in a disaggregation code
    *(("Observation", to_camel_case(f.shown_as or f.name)) for f in DIMENSIONS.fields),
    # CHECK ck_<table>_slug_format: ^[a-z0-9][a-z0-9-]*$
    ("Coalition", "slug"),
    ("Dataset", "slug"),
    ("Project", "slug"),
    # CHECK ck_<table>_code_format (a coalition's code is an area's, by its FK)
    ("Area", "code"),
    ("Coalition", "code"),
    ("Indicator", "code"),
    ("MarginalisedGroup", "code"),
    ("SdgTarget", "code"),
}


def _roots() -> dict[str, Find]:
    """The root lookups (``graphql.lookups``) of the served types: root field -> its ``find``
    (the converted arguments to (relation, key); InvalidInput, or a key the resolver would
    refuse, falls back: Strawberry answers the error)."""
    served = set(SERVED)
    return {
        field.graphql_name or to_camel_case(field.python_name): lookup.find
        for field in Query.__strawberry_definition__.fields  # type: ignore[attr-defined]
        if (lookup := field.metadata.get(LOOKUP)) is not None and lookup.node in served
    }


ROOTS = _roots()
