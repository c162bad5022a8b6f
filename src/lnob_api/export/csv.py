"""The CSV export's representation: media types, file names, streamed gzip and label columns.

The rows themselves are formatted by PostgreSQL (``COPY ... (FORMAT csv)``, see
``export.repository``): UTF-8, a header row, RFC 4180 quoting, an empty field for a NULL.
With ``labels=<language>`` a ``<code>_label`` column follows each code column; the labels are
looked up in SQL too (correlated subqueries on the codes of the rows), so the export still
streams. (The label SQL sits here rather than in ``export.repository``, which another change
owned when it was written; it belongs there.)
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.auth.principal import Principal
from lnob_api.export import filters, service
from lnob_api.export import repository as export_repo
from lnob_api.models.observation import TOTAL
from lnob_api.models.tables import areas, indicators, marginalised_groups, sdg_targets
from lnob_api.sdmx import model as sdmx_model

# Chunks smaller than this are gathered before compression (fewer, fuller gzip blocks).
_GATHER = 64 * 1024


@dataclass(frozen=True, slots=True)
class Variant:
    """One representation of the export: plain CSV or a gzip file of it."""

    name: str
    media_type: str
    filename: str
    gzip: bool


CSV = Variant("csv", "text/csv; charset=utf-8; header=present", "observations.csv", False)
CSV_GZ = Variant("csv.gz", "application/gzip", "observations.csv.gz", True)


async def gzipped(chunks: AsyncIterator[bytes], *, level: int = 6) -> AsyncIterator[bytes]:
    """Compress a byte stream into one gzip member as it flows (mtime 0: same bytes, same
    file, so an entity tag stays true to the content)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    pending: list[bytes] = []
    size = 0
    async for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= _GATHER:
            out = compressor.compress(b"".join(pending))
            pending, size = [], 0
            if out:
                yield out
    tail = compressor.compress(b"".join(pending)) + compressor.flush()
    if tail:
        yield tail


# --- labels (``labels=en|fr|es|ne|sw``) -----------------------------------------------------

LANGUAGES = filters.LANGUAGES
# Code columns that get a ``<column>_label`` column right after them.
LABELLED = ("indicator", "area", "sex", "age", "disability_status", "urbanisation", "group")


def label_column(name: str) -> str:
    return f"{name}_label"


def _title(table: sa.FromClause, language: str) -> ColumnElement[str]:
    """A title in ``language`` when the SDG translations have it, else in English."""
    title: ColumnElement[str] = table.c.title
    if language == "en":
        return title
    return sa.func.coalesce(table.c.title_translations[language].astext, title)


def _listed(names: dict[str, str], code: ColumnElement[str]) -> ColumnElement[str]:
    return sa.case(*((code == k, sa.literal(v)) for k, v in names.items()), else_=code)


def _age(code: ColumnElement[str]) -> ColumnElement[str]:
    """``sdmx.model.age_name`` in SQL (Y15T24: 15 to 24 years; Y_GE65: 65 years or over)."""
    bounds = {"GE": r"\1 years or over", "GT": r"over \1 years", "LT": r"under \1 years"}
    bounds["LE"] = r"\1 years or under"
    whens: list[tuple[ColumnElement[bool], ColumnElement[str]]] = [
        (code == TOTAL, sa.literal("All ages")),
        (
            code.regexp_match("^Y[0-9]+T[0-9]+$"),
            sa.func.regexp_replace(code, "^Y0*([0-9]+)T0*([0-9]+)$", r"\1 to \2 years"),
        ),
    ]
    for bound, text in bounds.items():
        pattern = f"^Y_{bound}0*([0-9]+)$"
        whens.append((code.regexp_match(pattern), sa.func.regexp_replace(code, pattern, text)))
    return sa.case(*whens, else_=code)


def labelled_select(
    principal: Principal, where: Sequence[ColumnElement[bool]], language: str
) -> sa.Select[Any]:
    """The CSV export's statement with a label column after each code column: titles of
    indicators (or SDG targets) in ``language``; names of areas and groups, and of the SDMX
    code lists, as recorded (English). Same rows in the same order (left joins on unique codes
    added to the export's own FROM), labels escaped against formulas like every text cell."""
    stmt = export_repo.csv_select(principal, where)
    code = {column.name: column for column in stmt.selected_columns}
    indicator = indicators.alias("label_indicator")
    target = sdg_targets.alias("label_target")
    area = areas.alias("label_area")
    group = marginalised_groups.alias("label_group")
    (source,) = stmt.get_final_froms()
    # The export's FROM wrapped in the label joins (a join hides the FROM it contains).
    stmt = stmt.select_from(
        source.outerjoin(indicator, indicator.c.code == code["indicator"])
        .outerjoin(target, target.c.code == code["indicator"])
        .outerjoin(area, area.c.code == code["area"])
        .outerjoin(group, group.c.code == code["group"])
    )
    names = sdmx_model.BASE_NAMES
    labels: dict[str, ColumnElement[str]] = {
        "indicator": sa.func.coalesce(_title(indicator, language), _title(target, language)),
        "area": sa.func.coalesce(area.c.name, code["area"]),
        "group": sa.func.coalesce(group.c.name, _listed(names["CL_GROUP"], code["group"])),
        "age": _age(code["age"]),
    }
    for name in ("sex", "disability_status", "urbanisation"):
        labels[name] = _listed(names[f"CL_{name.upper()}"], code[name])
    columns: list[Any] = []
    for column in stmt.selected_columns:
        columns.append(column)
        if column.name in LABELLED:
            label = export_repo.csv_cell(labels[column.name])
            columns.append(label.label(label_column(column.name)))
    return stmt.with_only_columns(*columns, maintain_column_froms=True)


def chunks_of(
    conn: AsyncConnection, principal: Principal, resolved: service.Resolved, labels: str | None
) -> AsyncIterator[bytes]:
    """The CSV export's bytes, with label columns when ``labels`` names a language."""
    if labels is None:
        return service.csv_chunks(conn, principal, resolved)
    return export_repo.copy_csv(conn, labelled_select(principal, resolved.where, labels))
