"""GraphQL types of the SDG disaggregation gap report."""

from __future__ import annotations

from datetime import date

import strawberry

from lnob_api.gaps import model
from lnob_api.gaps.repository import Coverage
from lnob_api.gaps.service import Gap, IndicatorGaps
from lnob_api.graphql.node import copied

strawberry.enum(
    model.Disaggregation,
    name="Disaggregation",
    description="A disaggregation the SDG framework asks for (A/RES/71/313): URBANISATION is"
    " geographic location as urban/rural, SUBNATIONAL as areas below the country.",
)
strawberry.enum(
    model.Expectation,
    name="DisaggregationExpectation",
    description="How the framework expects it of the indicator: NAMED in the official title's"
    " breakdown (by sex, age...), the title is about such a POPULATION (women, children...),"
    " or WHERE_RELEVANT (the framework-wide principle of A/RES/71/313).",
)
strawberry.enum(
    model.Status,
    name="DisaggregationStatus",
    description="Who reports it in the coalition's country: FILLED_BY_COMMUNITY (community"
    " data, no official reference value), BOTH, OFFICIAL_ONLY or MISSING.",
)


@strawberry.type(description="How one source reports one disaggregation of an indicator.")
class DisaggregationCoverage:
    reported: bool
    cells: int = strawberry.field(description="Cells that carry the disaggregation.")
    shown_cells: int = strawberry.field(description="Of which not withheld (suppression).")
    areas: int
    datasets: int = strawberry.field(description="Community data: datasets; official: 0.")
    latest_period_end: date | None
    categories: list[str] = strawberry.field(
        description="Codes reported: SDMX codes of the dimension, GROUP:<code> for a"
        " marginalised group, KEY:value for a free dimension, area levels for SUBNATIONAL."
    )

    @classmethod
    def of(cls, c: Coverage) -> DisaggregationCoverage:
        return copied(cls, c, latest_period_end=c.latest, categories=list(c.categories))


@strawberry.type(description="One disaggregation of an indicator in a coalition's country.")
class DisaggregationGap:
    disaggregation: model.Disaggregation
    expectation: model.Expectation
    evidence: str | None = strawberry.field(
        description="The words of the indicator's title the expectation rests on."
    )
    status: model.Status
    community: DisaggregationCoverage = strawberry.field(
        description="The coalition's data, as far as you may read it."
    )
    official: DisaggregationCoverage = strawberry.field(
        description="The official reference values recorded for the country."
    )

    @classmethod
    def of(cls, g: Gap) -> DisaggregationGap:
        return copied(
            cls,
            g,
            community=DisaggregationCoverage.of(g.community),
            official=DisaggregationCoverage.of(g.official),
        )


@strawberry.type(
    description="For one coalition and one indicator: every disaggregation, what the SDG"
    " framework expects of it, and who reports it."
)
class IndicatorDisaggregationGaps:
    coalition: str = strawberry.field(description="The coalition's country code.")
    coalition_name: str
    indicator: str = strawberry.field(description="The indicator's code.")
    indicator_title: str
    cells: int = strawberry.field(description="The coalition's cells of the indicator you read.")
    shown_cells: int
    datasets: int
    groups: list[str] = strawberry.field(description="Marginalised groups the data covers.")
    asked: int = strawberry.field(
        description="Disaggregations the indicator's title asks for (NAMED or POPULATION)."
    )
    filled_by_community: int = strawberry.field(
        description="Of those, reported by the community's data and not by official values."
    )
    missing: int = strawberry.field(description="Of those, reported by neither.")
    disaggregations: list[DisaggregationGap]
    source: str = strawberry.field(description="Where the expectations come from.")

    @classmethod
    def of(cls, r: IndicatorGaps) -> IndicatorDisaggregationGaps:
        return copied(
            cls,
            r,
            coalition=r.coalition_code,
            indicator=r.indicator_code,
            groups=list(r.groups),
            filled_by_community=r.count(model.Status.FILLED_BY_COMMUNITY),
            missing=r.count(model.Status.MISSING),
            disaggregations=[DisaggregationGap.of(g) for g in r.gaps],
            source=model.SOURCE,
        )
