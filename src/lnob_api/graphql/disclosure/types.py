"""GraphQL types of the disclosure audit: audiences, narrowed cells, information loss."""

from __future__ import annotations

import math
from enum import Enum

import strawberry

from lnob_api.disclosure import perturbation
from lnob_api.disclosure.audit import Finding
from lnob_api.disclosure.service import AudienceAudit, CoalitionAudit, DatasetLoss
from lnob_api.graphql.ids import global_id
from lnob_api.graphql.node import copied


@strawberry.enum(description="What of a small cell is protected.")
class ProtectedQuantity(Enum):
    VALUE = strawberry.enum_value("VALUE", description="A count's value (the group's size).")
    SAMPLE_SIZE = strawberry.enum_value("SAMPLE_SIZE", description="A rate's or mean's n.")
    NUMERATOR = strawberry.enum_value(
        "NUMERATOR", description="A rate's value x n (/ 100 for percentages)."
    )


@strawberry.type(description="A closed interval; upper is null when unbounded.")
class Interval:
    lower: float
    upper: float | None

    @classmethod
    def of(cls, bounds: tuple[float, float]) -> Interval:
        lo, hi = bounds
        return cls(lower=lo, upper=None if math.isinf(hi) else hi)


@strawberry.type(
    description="A small cell that an audience's linear program bounds more tightly than its"
    " protection interval allows."
)
class NarrowedCell:
    id: strawberry.ID = strawberry.field(description="The observation's global id.")
    quantity: ProtectedQuantity
    value: float = strawberry.field(description="The true value of the quantity.")
    interval: Interval = strawberry.field(description="What the attacker can tell.")
    protection: Interval = strawberry.field(description="What the attacker must not exclude.")
    constraints: list[str] = strawberry.field(description="The relations that narrow it.")

    @classmethod
    def of(cls, f: Finding) -> NarrowedCell:
        return cls(
            id=global_id("Observation", f.cell_id),
            quantity=ProtectedQuantity(f.kind.value),
            value=f.value,
            interval=Interval.of(f.interval),
            protection=Interval.of(f.protection),
            constraints=list(f.constraints),
        )


@strawberry.type(description="What one outside audience reads of the coalition's data.")
class DisclosureAudience:
    audience: str = strawberry.field(
        description="anonymous, partnership, organisation:<slug> or client:<client id>."
    )
    cells: int = strawberry.field(description="Cells it reads, every readable version.")
    withheld: int = strawberry.field(description="Of which withheld from it.")
    narrowed: list[NarrowedCell]

    @classmethod
    def of(cls, a: AudienceAudit) -> DisclosureAudience:
        return copied(cls, a, narrowed=[NarrowedCell.of(f) for f in a.findings])


@strawberry.type(description="Information withheld from outsiders in one dataset version.")
class DatasetInformationLoss:
    dataset_id: strawberry.ID
    slug: str
    version: int
    cells: int
    withheld_cells: int
    cell_share: float = strawberry.field(description="withheldCells / cells.")
    value: float = strawberry.field(description="Sum of the cells' absolute values.")
    withheld_value: float
    value_share: float = strawberry.field(description="withheldValue / value.")

    @classmethod
    def of(cls, d: DatasetLoss) -> DatasetInformationLoss:
        return copied(
            cls, d, dataset_id=global_id("Dataset", d.dataset_id), withheld_cells=d.withheld
        )


@strawberry.type(description="The attacker's audit of a coalition's data, audience by audience.")
class DisclosureAudit:
    coalition: str
    threshold: int
    rate_share: float
    clean: bool = strawberry.field(description="True when no audience narrows any small cell.")
    audiences: list[DisclosureAudience]
    information_loss: list[DatasetInformationLoss]

    @classmethod
    def of(cls, audit: CoalitionAudit, loss: list[DatasetLoss]) -> DisclosureAudit:
        return copied(
            cls,
            audit,
            audiences=[DisclosureAudience.of(a) for a in audit.audiences],
            information_loss=[DatasetInformationLoss.of(d) for d in loss],
        )


@strawberry.type(description="One possible noise of a row of the perturbation table.")
class PerturbationNoise:
    noise: int = strawberry.field(description="Added to the true count.")
    probability: float


@strawberry.type(
    description="A row of the published perturbation table (cell-key method): the noise a"
    " true count gets, picked by its cell key in [0, 1) as the first entry whose cumulative"
    " probability exceeds the key. The last row serves every larger count."
)
class PerturbationRow:
    value: int = strawberry.field(description="The true count (the last row: and above).")
    noises: list[PerturbationNoise]


@strawberry.type(
    description="What perturbation does to the counts outsiders read, published so that"
    " users can allow for it (the keys stay secret)."
)
class PerturbationTable:
    rows: list[PerturbationRow]
    max_noise: int = strawberry.field(description="Cell key: the largest noise either way.")
    rounding_bases: list[int] = strawberry.field(
        description="ROUND_3 and ROUND_5: a residue r rounds up with probability r / base."
    )

    @classmethod
    def published(cls) -> PerturbationTable:
        return cls(
            rows=[
                PerturbationRow(
                    value=value,
                    noises=[PerturbationNoise(noise=j, probability=p) for j, p in entries],
                )
                for value, entries in sorted(perturbation.PTABLE.items())
            ],
            max_noise=perturbation.MAX_NOISE,
            rounding_bases=sorted(perturbation.BASES.values()),
        )
