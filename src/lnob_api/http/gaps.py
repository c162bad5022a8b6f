"""``GET /exports/disaggregation-gaps.csv``: the SDG disaggregation gap report as CSV.

One row per coalition, indicator and disaggregation (the GraphQL ``disaggregationGaps`` rows,
flattened), with what the framework expects, who reports it and how much. Parameters:
``coalition`` and ``indicator`` (repeat them, or separate codes with commas). The same
visibility as GraphQL: only data the caller reads counts. The report is small (at most a
few thousand rows), so it is built whole, with an ``ETag`` over its bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lnob_api.errors import DomainError, InvalidInput
from lnob_api.gaps import service
from lnob_api.gaps.repository import Coverage
from lnob_api.http.exports import cache_headers, plain_error, principal_of

COLUMNS = (
    "coalition",
    "indicator",
    "indicator_title",
    "disaggregation",
    "expectation",
    "evidence",
    "status",
    "community_reported",
    "community_cells",
    "community_shown_cells",
    "community_areas",
    "community_datasets",
    "community_latest_period_end",
    "community_categories",
    "official_reported",
    "official_cells",
    "official_areas",
    "official_latest_period_end",
    "official_categories",
    "groups",
)
PARAMETERS = ("coalition", "indicator")
MEDIA = "text/csv; charset=utf-8; header=present"
# Cells a spreadsheet would evaluate as a formula get a leading quote (as in the CSV export).
_FORMULA = tuple("=+-@\t\r")


def gaps_routes() -> list[BaseRoute]:
    return [Route("/exports/disaggregation-gaps.csv", export, methods=["GET"])]


def _codes(request: Request, name: str) -> list[str] | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    return [code for value in values for code in value.split(",") if code.strip()]


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def _coverage(c: Coverage, *, datasets: bool) -> list[Any]:
    cells = [str(c.reported).lower(), c.cells]
    cells += [c.shown_cells, c.areas, c.datasets] if datasets else [c.areas]
    cells += [c.latest.isoformat() if c.latest else "", ";".join(_text(x) for x in c.categories)]
    return cells


def as_csv(rows: list[service.IndicatorGaps]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        for g in r.gaps:
            writer.writerow(
                [
                    r.coalition_code,
                    r.indicator_code,
                    _text(r.indicator_title),
                    g.disaggregation.value,
                    g.expectation.value,
                    _text(g.evidence or ""),
                    g.status.value,
                    *_coverage(g.community, datasets=True),
                    *_coverage(g.official, datasets=False),
                    ";".join(r.groups),
                ]
            )
    return out.getvalue().encode()


async def export(request: Request) -> Response:
    unknown = sorted(set(request.query_params) - set(PARAMETERS))
    if unknown:
        return plain_error(
            InvalidInput(
                unknown[0],
                f"unknown parameter {unknown[0]!r}; the parameters are {', '.join(PARAMETERS)}",
            )
        )
    try:
        async with request.app.state.database.transaction() as conn:
            rows = await service.report(
                conn,
                principal_of(request),
                coalitions=_codes(request, "coalition"),
                indicators=_codes(request, "indicator"),
            )
    except DomainError as exc:
        return plain_error(exc)
    body = as_csv(rows)
    headers = cache_headers(request, None)
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers["ETag"] = tag
    headers["Content-Disposition"] = 'attachment; filename="disaggregation-gaps.csv"'
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        if "*" in tags or tag in tags:
            return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA, headers=headers)
