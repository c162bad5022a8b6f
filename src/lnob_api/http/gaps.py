"""``GET /exports/disaggregation-gaps.csv``: the SDG disaggregation gap report as CSV.

One row per coalition, indicator and disaggregation (the GraphQL ``disaggregationGaps`` rows,
flattened), with what the framework expects, who reports it and how much. Parameters:
``coalition`` and ``indicator`` (repeat them, or separate codes with commas). The same
visibility as GraphQL: only data the caller reads counts. The report is small (at most a
few thousand rows), so it is built whole, with an ``ETag`` over its bytes.

The SDMX-CSV 2.0 form (``/exports/disaggregation-gaps.sdmx.csv``, or ``Accept:
application/vnd.sdmx.data+csv;version=2.0.0`` on the ``.csv`` route) holds the same rows and
values, with SDMX-CSV 2.0's leading ``STRUCTURE``, ``STRUCTURE_ID`` and ``ACTION`` columns
(``datastructure``, ``LNOB:DSD_LNOB_GAPS(1.0)``, ``I``) and the column names as SDMX ids
(``COALITION``, ``INDICATOR`` in SDMX form such as ``5_2_1``, ``DISAGGREGATION`` as the key,
then ``STATUS`` and the coverage). ``DSD_LNOB_GAPS`` names the layout; it is not (yet) published
as a structure of ``/sdmx``.
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
from lnob_api.http.errors import answer
from lnob_api.http.exports import cache_headers, principal_of
from lnob_api.sdmx import model

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
SDMX_MEDIA = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8"
SDMX_STRUCTURE = ("datastructure", "LNOB:DSD_LNOB_GAPS(1.0)", "I")
SDMX_COLUMNS = ("STRUCTURE", "STRUCTURE_ID", "ACTION", *(c.upper() for c in COLUMNS))
# Cells a spreadsheet would evaluate as a formula get a leading quote (as in the CSV export).
_FORMULA = tuple("=+-@\t\r")


def gaps_routes() -> list[BaseRoute]:
    return [
        Route("/exports/disaggregation-gaps.csv", export, methods=["GET"]),
        Route("/exports/disaggregation-gaps.sdmx.csv", export, methods=["GET"]),
    ]


def wants_sdmx(request: Request) -> bool:
    """The SDMX-CSV 2.0 form: its route, or SDMX-CSV 2.0 preferred by ``Accept``."""
    if request.url.path.endswith(".sdmx.csv"):
        return True
    for item in (request.headers.get("accept") or "").split(","):
        media, *params = (p.strip().lower() for p in item.split(";"))
        version = next(
            (p.partition("=")[2].strip('"') for p in params if p.startswith("version")), None
        )
        if media == "application/vnd.sdmx.data+csv" and version in ("2.0.0", "2.0"):
            return True
        if media in ("text/csv", "*/*", "text/*"):
            return False
    return False


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


def as_csv(rows: list[service.IndicatorGaps], *, sdmx: bool = False) -> bytes:
    """The report as CSV; ``sdmx``: in SDMX-CSV 2.0 form (SDMX ids, structure columns)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SDMX_COLUMNS if sdmx else COLUMNS)
    lead = list(SDMX_STRUCTURE) if sdmx else []
    for r in rows:
        indicator = model.indicator_id(r.indicator_code) if sdmx else r.indicator_code
        for g in r.gaps:
            writer.writerow(
                [
                    *lead,
                    r.coalition_code,
                    indicator,
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
        return answer(
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
        return answer(exc)
    sdmx = wants_sdmx(request)
    body = as_csv(rows, sdmx=sdmx)
    headers = cache_headers(request, None)
    headers["Vary"] = "Authorization, Accept"
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers["ETag"] = tag
    name = "disaggregation-gaps.sdmx.csv" if sdmx else "disaggregation-gaps.csv"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        if "*" in tags or tag in tags:
            return Response(status_code=304, headers=headers)
    return Response(body, media_type=SDMX_MEDIA if sdmx else MEDIA, headers=headers)
