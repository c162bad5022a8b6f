"""Root field: disclosureAudit (coalition admins of that coalition, partnership admins)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from lnob_api.auth.principal import Scope
from lnob_api.disclosure import service as disclosure
from lnob_api.graphql.context import Info
from lnob_api.graphql.disclosure.types import DisclosureAudit, PerturbationTable
from lnob_api.graphql.permissions import requires_any


@strawberry.type
class DisclosureQueries:
    @strawberry.field(
        description="The published perturbation table of the cell-key method, and the bases of"
        " random rounding: what a coalition's perturbation setting does to the counts outsiders"
        " read. Public."
    )
    def perturbation_table(self) -> PerturbationTable:
        return PerturbationTable.published()

    @strawberry.field(
        permission_classes=[requires_any(Scope.COALITION_ADMIN, Scope.PARTNERSHIP_ADMIN)],
        description="Run the attacker's linear program for every outside audience (anonymous,"
        " partners, each grantee) over everything it reads of the coalition's data, and list"
        " the small cells it narrows below their protection interval; with the share of cells"
        " and value withheld per dataset. Coalition admins (ADMIN role, coalition:admin scope)"
        " and partnership admins.",
    )
    async def disclosure_audit(
        self,
        info: Info,
        coalition: Annotated[str, strawberry.argument(description="The coalition's code.")],
        rate_share: Annotated[
            float | None,
            strawberry.argument(
                description="Protection of rate numerators: this share of the value, each side"
                " (default: the coalition's rateShare)."
            ),
        ] = None,
    ) -> DisclosureAudit:
        principal = info.context.principal
        report, loss = await info.context.db.isolated(
            lambda session: disclosure.admin_report(
                session, principal, coalition, rate_share=rate_share
            )
        )
        return DisclosureAudit.of(report, loss)
