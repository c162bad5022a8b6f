"""The category scheme of the 17 SDG goals (``LNOB:SDG_GOALS(1.0)``, categories ``1``..``17``)
and the categorisations of the dataflows by goal: a coalition's dataflow is categorised under
every goal that an indicator of one of its datasets belongs to (through the indicator's SDG
target). Only datasets whose metadata the caller sees count, so a categorisation never hints
at a dataset hidden from the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.models.tables import (
    coalitions,
    dataset_indicators,
    datasets,
    indicators,
    sdg_goals,
    sdg_targets,
)
from lnob_api.sdmx import model
from lnob_api.sdmx.xml import attrs, item, name, ref

SCHEME_ID = "SDG_GOALS"
SCHEME_NAME = "Sustainable Development Goals"
URN = "urn:sdmx:org.sdmx.infomodel.categoryscheme"


@dataclass(frozen=True, slots=True)
class Categorisation:
    flow: str
    goal: str

    @property
    def id(self) -> str:
        return f"CAT_{self.flow}_{self.goal}"


async def goals(conn: AsyncConnection) -> list[model.Item]:
    stmt = sa.select(sdg_goals.c.code, sdg_goals.c.short_title, sdg_goals.c.title).order_by(
        sdg_goals.c.code
    )
    return [
        model.Item(str(row.code), f"Goal {row.code}: {row.short_title or row.title}")
        for row in await conn.execute(stmt)
    ]


async def categorisations(conn: AsyncConnection, principal: Principal) -> list[Categorisation]:
    """(dataflow, goal) pairs from the indicators of the datasets the principal sees."""
    stmt = (
        sa.select(coalitions.c.code, sdg_targets.c.goal_code)
        .select_from(
            datasets.join(coalitions, coalitions.c.id == datasets.c.coalition_id)
            .join(dataset_indicators, dataset_indicators.c.dataset_id == datasets.c.id)
            .join(indicators, indicators.c.id == dataset_indicators.c.indicator_id)
            .join(sdg_targets, sdg_targets.c.code == indicators.c.target_code)
        )
        .where(visibility.dataset_visible(principal))
        .group_by(coalitions.c.code, sdg_targets.c.goal_code)
        .order_by(coalitions.c.code, sdg_targets.c.goal_code)
    )
    return [
        Categorisation(model.flow_id(row.code), str(row.goal_code))
        for row in await conn.execute(stmt)
    ]


def _maintainable(cls: str, id: str, *, stub_url: str | None = None) -> str:
    return attrs(
        id=id,
        urn=f"{URN}.{cls}={model.AGENCY}:{id}({model.VERSION})",
        isExternalReference="true" if stub_url else None,
        agencyID=model.AGENCY,
        version=model.VERSION,
        structureURL=stub_url,
        isFinal="false",
    )


def scheme(categories: list[model.Item], *, stub_url: str | None = None) -> str:
    """``<structure:CategoryScheme>`` (a stub: its name only)."""
    parts = [
        f"<structure:CategoryScheme{_maintainable('CategoryScheme', SCHEME_ID, stub_url=stub_url)}>"
    ]
    parts.append(name(SCHEME_NAME))
    if stub_url is None:
        prefix = f"{URN}.Category={model.AGENCY}:{SCHEME_ID}({model.VERSION})"
        for category in categories:
            parts.append(item("Category", category.id, f"{prefix}.{category.id}", category.name))
    parts.append("</structure:CategoryScheme>")
    return "".join(parts)


def categorisation(found: Categorisation, *, stub_url: str | None = None) -> str:
    """``<structure:Categorisation>``: the dataflow (source) in a goal's category (target)."""
    parts = [
        f"<structure:Categorisation{_maintainable('Categorisation', found.id, stub_url=stub_url)}>",
        name(f"{found.flow} in SDG goal {found.goal}"),
    ]
    if stub_url is None:
        source = ref(found.flow, cls="Dataflow", package="datastructure")
        target = ref(
            found.goal,
            cls="Category",
            package="categoryscheme",
            version=None,
            parent=SCHEME_ID,
            parent_version=model.VERSION,
        )
        parts.append(f"<structure:Source>{source}</structure:Source>")
        parts.append(f"<structure:Target>{target}</structure:Target>")
    parts.append("</structure:Categorisation>")
    return "".join(parts)
