"""GraphQL types of the SDG framework: SdgGoal, SdgTarget, Indicator (global or custom)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.context import Info
from lnob_api.graphql.i18n import localized
from lnob_api.graphql.loading import load_list, load_one
from lnob_api.graphql.node import Node, entity
from lnob_api.observation import repository as observation_repo
from lnob_api.project import repository as project_repo
from lnob_api.sdg import repository as sdg_repo

if TYPE_CHECKING:
    from lnob_api.graphql.coalition.types import Coalition
    from lnob_api.graphql.dataset.types import Dataset
    from lnob_api.graphql.observation.types import Observation, ObservationFilter
    from lnob_api.graphql.project.types import Project
    from lnob_api.graphql.publication.types import Publication

_Coalition = Annotated["Coalition", strawberry.lazy("lnob_api.graphql.coalition.types")]
_Dataset = Annotated["Dataset", strawberry.lazy("lnob_api.graphql.dataset.types")]
_Observation = Annotated["Observation", strawberry.lazy("lnob_api.graphql.observation.types")]
_ObservationFilter = Annotated[
    "ObservationFilter", strawberry.lazy("lnob_api.graphql.observation.types")
]
_Project = Annotated["Project", strawberry.lazy("lnob_api.graphql.project.types")]
_Publication = Annotated["Publication", strawberry.lazy("lnob_api.graphql.publication.types")]

LANG_HELP = "Language code (en, fr, es, ne, sw); default from Accept-Language, else English."
Lang = Annotated[str | None, strawberry.argument(description=LANG_HELP)]


def _observations(filter: _ObservationFilter | None = None) -> Slice:
    from lnob_api.graphql.observation.types import observation_slice

    return observation_slice(filter)


def _pick(info: Info, lang: str | None, english: str, translations: dict[str, Any]) -> str:
    return localized(english, translations, (lang or info.context.language).lower())


@entity(sdg_repo.GOALS, parse_key=int)
@strawberry.type(description="One of the 17 Sustainable Development Goals.")
class SdgGoal(Node):
    code: int
    title_en: strawberry.Private[str]
    short_title_en: strawberry.Private[str]
    title_translations: strawberry.Private[dict[str, Any]]
    short_title_translations: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_row(cls, row: Any) -> SdgGoal:
        return cls(
            id=strawberry.ID(_gid("SdgGoal", row["code"])),
            code=row["code"],
            title_en=row["title"],
            short_title_en=row["short_title"],
            title_translations=row["title_translations"],
            short_title_translations=row["short_title_translations"],
        )

    @strawberry.field(description="The official title, localized.")
    def title(self, info: Info, lang: Lang = None) -> str:
        return _pick(info, lang, self.title_en, self.title_translations)

    @strawberry.field(description="A short name such as 'No poverty', localized.")
    def short_title(self, info: Info, lang: Lang = None) -> str:
        return _pick(info, lang, self.short_title_en, self.short_title_translations)

    @strawberry.field(description="The goal's targets, in code order.")
    async def targets(self, info: Info) -> list[SdgTarget]:
        return await load_list(info, sdg_repo.TARGETS_BY_GOAL, self.code, SdgTarget)


@entity(sdg_repo.TARGETS, parse_key=str)
@strawberry.type(description="One of the 169 SDG targets, such as 10.2.")
class SdgTarget(Node):
    code: str
    goal_code: strawberry.Private[int]
    title_en: strawberry.Private[str]
    title_translations: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_row(cls, row: Any) -> SdgTarget:
        return cls(
            id=strawberry.ID(_gid("SdgTarget", row["code"])),
            code=row["code"],
            goal_code=row["goal_code"],
            title_en=row["title"],
            title_translations=row["title_translations"],
        )

    @strawberry.field(description="The official title, localized.")
    def title(self, info: Info, lang: Lang = None) -> str:
        return _pick(info, lang, self.title_en, self.title_translations)

    @strawberry.field
    async def goal(self, info: Info) -> SdgGoal:
        found = await load_one(info, sdg_repo.GOAL_BY_CODE, self.goal_code, SdgGoal)
        assert found is not None
        return found

    @strawberry.field(description="Indicators under this target, global and custom, in code order.")
    async def indicators(self, info: Info) -> list[Indicator]:
        return await load_list(info, sdg_repo.INDICATORS_BY_TARGET, self.code, Indicator)

    projects = connection(
        project_repo.PROJECTS_BY_TARGET,
        _Project,
        parent_key="code",
        description="Projects addressing this target.",
    )

    @strawberry.field(description="Publications addressing this target (those the caller may see).")
    async def publications(self, info: Info) -> list[_Publication]:
        from lnob_api.graphql.publication.types import Publication
        from lnob_api.publication import repository as publication_repo

        return await load_list(
            info, publication_repo.PUBLICATIONS_BY_TARGET, self.code, Publication
        )


@entity(sdg_repo.INDICATORS)
@strawberry.type(
    description="A global SDG indicator (1.1.1) or a coalition's custom one (KE-C-0001)."
)
class Indicator(Node):
    pk: strawberry.Private[int]
    code: str
    target_code: str
    title_en: strawberry.Private[str]
    title_translations: strawberry.Private[dict[str, Any]]
    description: str
    unit: str | None
    tier: str | None
    unsd_code: str | None = strawberry.field(
        description="UNSD's id; shared by repeats of one indicator."
    )
    framework_version: str | None
    coalition_id: strawberry.Private[int | None]
    row_version: int = strawberry.field(
        description="Changes on every edit; send it back with an update (optimistic locking)."
    )

    @classmethod
    def from_row(cls, row: Any) -> Indicator:
        return cls(
            id=strawberry.ID(_gid("Indicator", row["id"])),
            pk=row["id"],
            code=row["code"],
            target_code=row["target_code"],
            title_en=row["title"],
            title_translations=row["title_translations"],
            description=row["description"],
            unit=row["unit"],
            tier=row["tier"],
            unsd_code=row["unsd_code"],
            framework_version=row["framework_version"],
            coalition_id=row["coalition_id"],
            row_version=row["row_version"],
        )

    @strawberry.field(description="The official title, localized.")
    def title(self, info: Info, lang: Lang = None) -> str:
        return _pick(info, lang, self.title_en, self.title_translations)

    @strawberry.field(description="True for a coalition's community-defined indicator.")
    def is_custom(self) -> bool:
        return self.coalition_id is not None

    @strawberry.field
    async def target(self, info: Info) -> SdgTarget:
        found = await load_one(info, sdg_repo.TARGET_BY_CODE, self.target_code, SdgTarget)
        assert found is not None
        return found

    @strawberry.field(
        description="The coalition that defined a custom indicator; null for global ones."
    )
    async def coalition(self, info: Info) -> _Coalition | None:
        from lnob_api.graphql.coalition.types import Coalition

        return await load_one(info, coalition_repo.COALITION_BY_ID, self.coalition_id, Coalition)

    datasets = connection(
        dataset_repo.DATASETS_BY_INDICATOR,
        _Dataset,
        description="Datasets covering this indicator.",
    )

    observations = connection(
        observation_repo.OBSERVATIONS_BY_INDICATOR,
        _Observation,
        select=_observations,
        description="Observations of this indicator the caller may read, by id.",
    )


def _gid(type_name: str, key: object) -> str:
    from lnob_api.graphql.ids import to_global_id

    return to_global_id(type_name, key)
