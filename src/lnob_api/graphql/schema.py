"""The Strawberry schema: root types merged from the domains, node lookup, extensions."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql import GraphQLError
from lnob_api.graphql.access_request.mutations import AccessRequestMutations
from lnob_api.graphql.access_request.queries import AccessRequestQueries
from lnob_api.graphql.area.mutations import LocalAreaMutations
from lnob_api.graphql.area.queries import AreaQueries
from lnob_api.graphql.audit.queries import AuditQueries
from lnob_api.graphql.client.mutations import ClientMutations
from lnob_api.graphql.coalition.mutations import CoalitionMutations
from lnob_api.graphql.coalition.queries import CoalitionQueries
from lnob_api.graphql.context import Info
from lnob_api.graphql.cost import QueryCost
from lnob_api.graphql.dataset.mutations import DatasetMutations
from lnob_api.graphql.dataset.queries import DatasetQueries
from lnob_api.graphql.dataset.stewardship import StewardshipMutations
from lnob_api.graphql.disclosure.queries import DisclosureQueries
from lnob_api.graphql.errors import classify
from lnob_api.graphql.extensions import RequestTransaction
from lnob_api.graphql.gaps.queries import GapQueries
from lnob_api.graphql.grant.mutations import GrantMutations
from lnob_api.graphql.idempotency import IdempotentCreates
from lnob_api.graphql.ids import from_global_id
from lnob_api.graphql.inputs import StorableLiterals
from lnob_api.graphql.introspection import SchemaForAdminsOnly
from lnob_api.graphql.loading import load_one
from lnob_api.graphql.node import REGISTRY, Node
from lnob_api.graphql.notification.mutations import NotificationMutations
from lnob_api.graphql.notification.queries import NotificationQueries
from lnob_api.graphql.observation.queries import ObservationQueries
from lnob_api.graphql.observe import ObserveOperation, record_errors
from lnob_api.graphql.official.mutations import OfficialMutations
from lnob_api.graphql.official.queries import OfficialQueries
from lnob_api.graphql.organisation.mutations import OrganisationMutations
from lnob_api.graphql.organisation.queries import OrganisationQueries
from lnob_api.graphql.project.mutations import ProjectMutations
from lnob_api.graphql.project.queries import ProjectQueries
from lnob_api.graphql.provenance.mutations import ProvenanceMutations
from lnob_api.graphql.provenance.queries import ProvenanceQueries
from lnob_api.graphql.publication.mutations import PublicationMutations
from lnob_api.graphql.publication.queries import PublicationQueries
from lnob_api.graphql.recommendation.mutations import RecommendationMutations
from lnob_api.graphql.recommendation.queries import RecommendationQueries
from lnob_api.graphql.scorecard.mutations import ScorecardMutations
from lnob_api.graphql.scorecard.queries import ScorecardQueries
from lnob_api.graphql.sdg.mutations import CustomIndicatorMutations
from lnob_api.graphql.sdg.queries import SdgQueries
from lnob_api.graphql.series.queries import SeriesQueries
from lnob_api.graphql.sync.queries import SyncQueries
from lnob_api.graphql.upload.mutations import UploadMutations
from lnob_api.graphql.user.mutations import CoalitionRoleMutations
from lnob_api.graphql.viewer.queries import ViewerQueries
from lnob_api.read.relations import ToOne

MAX_NODES = 100
VALIDATION_CACHE_SIZE = 512

# The validation rules are built once: ``ValidationCache`` keys on the rule classes, and
# ``QueryDepthLimiter``/``MaxAliasesLimiter`` create a new class per instance, so building them
# per request (a factory) made every key new and the cache never hit.
STATIC_RULES = (
    *QueryDepthLimiter(max_depth=12).validation_rules,
    *MaxAliasesLimiter(max_alias_count=30).validation_rules,
    StorableLiterals,
)


def static_rules() -> AddValidationRules:
    """The operation's extra validation rules: the same classes on every request."""
    return AddValidationRules(list(STATIC_RULES))


async def _nodes(info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
    """Resolve global ids through each type's visibility-scoped loader; unknown -> null."""
    if len(ids) > MAX_NODES:
        from lnob_api.errors import InvalidInput

        raise InvalidInput("ids", f"at most {MAX_NODES} ids per request", code="TOO_LARGE")
    wanted: list[tuple[type[Node], Any] | None] = []
    for gid in ids:
        type_name, raw_key = from_global_id(str(gid))
        cls = REGISTRY.get(type_name)
        try:
            wanted.append((cls, cls._parse_key(raw_key)) if cls is not None else None)
        except ValueError:
            wanted.append(None)

    async def resolve(item: tuple[type[Node], Any] | None) -> Node | None:
        if item is None:
            return None
        cls, key = item
        return await load_one(info, _by_key(cls), key, cls)

    return list(await asyncio.gather(*(resolve(item) for item in wanted)))


_RELATIONS: dict[type[Node], ToOne] = {}


def _by_key(cls: type[Node]) -> ToOne:
    relation = _RELATIONS.get(cls)
    if relation is None:
        relation = _RELATIONS[cls] = ToOne(cls._source, key=cls._source.key)
    return relation


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global id; null when missing or not visible.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return (await _nodes(info, [id]))[0]

    @strawberry.field(
        description="Objects by global ids, in order; null for each missing or hidden one."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return await _nodes(info, ids)


Query = merge_types(
    "Query",
    (
        NodeQueries,
        CoalitionQueries,
        OrganisationQueries,
        ProjectQueries,
        DatasetQueries,
        SdgQueries,
        ObservationQueries,
        SeriesQueries,
        AreaQueries,
        PublicationQueries,
        ViewerQueries,
        AuditQueries,
        ProvenanceQueries,
        AccessRequestQueries,
        NotificationQueries,
        ScorecardQueries,
        RecommendationQueries,
        OfficialQueries,
        SyncQueries,
        DisclosureQueries,
        GapQueries,
    ),
)


Mutation = merge_types(
    "Mutation",
    (
        OrganisationMutations,
        CoalitionMutations,
        CoalitionRoleMutations,
        ProjectMutations,
        CustomIndicatorMutations,
        DatasetMutations,
        ProvenanceMutations,
        PublicationMutations,
        LocalAreaMutations,
        GrantMutations,
        ClientMutations,
        StewardshipMutations,
        UploadMutations,
        AccessRequestMutations,
        NotificationMutations,
        ScorecardMutations,
        RecommendationMutations,
        OfficialMutations,
    ),
)


class LnobSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        request_id = ""
        if execution_context is not None:
            request_id = getattr(execution_context.context, "request_id", "") or ""
        for error in errors:
            classify(error, request_id)
        record_errors(errors)  # metrics by code, once each error has its code


def _types() -> list[type]:
    # Every Node type must be known to the schema so that node(id) can return it.
    import lnob_api.graphql.access_request.types
    import lnob_api.graphql.area.types
    import lnob_api.graphql.audit.types
    import lnob_api.graphql.coalition.types
    import lnob_api.graphql.dataset.types
    import lnob_api.graphql.notification.types
    import lnob_api.graphql.observation.types
    import lnob_api.graphql.official.types
    import lnob_api.graphql.organisation.types
    import lnob_api.graphql.project.types
    import lnob_api.graphql.provenance.types
    import lnob_api.graphql.publication.types
    import lnob_api.graphql.recommendation.types
    import lnob_api.graphql.scorecard.types
    import lnob_api.graphql.sdg.types  # noqa: F401

    return list(REGISTRY.values())


schema = LnobSchema(
    query=Query,
    mutation=Mutation,
    types=_types(),
    config=StrawberryConfig(relay_max_results=100, disable_field_suggestions=False),
    extensions=[
        ObserveOperation,  # first: its time covers the other extensions' work
        RequestTransaction,
        SchemaForAdminsOnly,
        static_rules,
        lambda: MaxTokensLimiter(max_token_count=5000),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE),
        QueryCost,
        IdempotentCreates,  # last: what earlier extensions refuse never claims a key
    ],
)
