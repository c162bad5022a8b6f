"""The CSV export described for machines: a Frictionless data package (Table Schema) and the
same as CSVW metadata (W3C, ``application/csvm+json``).

One resource per export variant (plain, gzip, and each ``labels=`` language) and one per code
list (``export.codelists``), with foreign keys from the export's code columns to them. The
fields follow ``export.repository.CSV_COLUMNS`` (a column added there appears here, typed as
its declared field says: declare.observation, declare.entities) and the label columns of
``export.csv``.
``period`` is a string with the SDMX period pattern, so a file holding only years is not read
as integers; the small code lists (status, sex, age...) are enums of exactly the codes the
caller's readable data uses plus the standard ones, as the SDMX code lists give them.
"""

from __future__ import annotations

import re
import typing
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.principal import Principal
from lnob_api.declare import Entity
from lnob_api.declare.entities import DATASET
from lnob_api.declare.observation import OBSERVATION
from lnob_api.export import codelists
from lnob_api.export.csv import LABELLED, LANGUAGES, label_column
from lnob_api.export.repository import csv_columns
from lnob_api.models.observation import PERIOD_PATTERN
from lnob_api.sdmx import service as sdmx_service

LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://spdx.org/licenses/CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 (the default; each dataset states its own)",
}
# Table Schema patterns match the whole value (no anchors).
PERIOD = PERIOD_PATTERN.removeprefix("^").removesuffix("$")
SLUG = "[a-z0-9][a-z0-9-]*"
ENUMS = {
    "obs_status": "CL_OBS_STATUS",
    "conf_status": "CL_CONF_STATUS",
    "sex": "CL_SEX",
    "age": "CL_AGE",
    "disability_status": "CL_DISABILITY_STATUS",
    "urbanisation": "CL_URBANISATION",
}
REFERENCES = {"indicator": "indicators", "area": "areas", "group": "groups"}

# What the declaration does not say about a column (declare.observation, declare.entities):
# its description, pattern, bounds; the computed columns' types. A declared column's type and
# whether it is required (not nullable) come from its field (``_declared``).
_DESCRIBED: dict[str, dict[str, Any]] = {
    "dataset": {"type": "string", "description": "The dataset's slug", "pattern": SLUG},
    "indicator": {
        "type": "string",
        "description": "SDG or custom indicator code (an SDG target code for target-level rows)",
    },
    "area": {"description": "ISO 3166-1/3166-2 or local area code"},
    "period": {
        "description": "SDMX time period: 2019, 2019-S1, 2019-Q2, 2019-03, 2019-03-15, 2019-W07",
        "pattern": PERIOD,
    },
    "value": {"description": "Empty when the cell is withheld"},
    # An empty unit reads as missing ("missingValues").
    "unit": {"required": False},
    "obs_status": {"description": "SDMX observation status"},
    "conf_status": {"type": "string", "description": "SDMX confidentiality status"},
    "sample_size": {"minimum": 0},
    "group": {"description": "Marginalised group code (_T: no particular one)"},
    "updated_at": {"description": "Last change, ISO 8601 in UTC"},
    "perturbed": {
        "type": "boolean",
        "description": "true when the value is perturbed for disclosure control",
        "trueValues": ["true"],
        "falseValues": ["false"],
    },
}
# How the CSV writes a timestamp (export.repository.iso_utc) and a boolean (PostgreSQL's COPY).
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_BOOLEANS = {"trueValues": ["t"], "falseValues": ["f"]}


def _declared(entity: Entity, name: str) -> dict[str, Any]:
    """The Table Schema type of a declared CSV column (the observation's, else its dataset's)
    and whether it is required; a column no declaration has is a required string."""
    for declaration in (entity, DATASET):
        field = next((f for f in declaration.csv if f.csv == name), None)
        if field is None:
            continue
        shape, _, null = declaration.json(field.name).partition("|")
        kind = declaration.types[field.name]
        moments = {datetime: "datetime", date: "date"}
        chosen = next((t for k, t in moments.items() if k in (kind, *typing.get_args(kind))), shape)
        described: dict[str, Any] = {"type": chosen, "required": not null}
        return {**described, **_BOOLEANS} if chosen == "boolean" else described
    return {"type": "string"}


def fields(
    enums: dict[str, list[str]], *, labels: bool, entity: Entity = OBSERVATION
) -> list[dict[str, Any]]:
    """Table Schema fields of the export, with label columns when ``labels``; ``entity``: the
    observation declaration whose CSV columns it describes."""
    out: list[dict[str, Any]] = []
    for name in csv_columns(entity):
        described = {**_declared(entity, name), **_DESCRIBED.get(name, {})}
        required = described.pop("required", True)
        constraints: dict[str, Any] = {"required": required}
        for key in ("pattern", "minimum"):
            if key in described:
                constraints[key] = described.pop(key)
        if name in ENUMS:
            constraints["enum"] = enums[ENUMS[name]]
        field: dict[str, Any] = {"name": name, **described, "constraints": constraints}
        if described["type"] == "datetime":
            field["format"] = DATETIME_FORMAT
        out.append(field)
        if labels and name in LABELLED:
            out.append(
                {"name": label_column(name), "type": "string", "description": f"Label of {name}"}
            )
    return out


async def enums(conn: AsyncConnection, principal: Principal) -> dict[str, list[str]]:
    """The codes of the small code lists, as the SDMX structure gives them to ``principal``."""
    found = await sdmx_service.build_codelists(conn, principal, tuple(ENUMS.values()))
    return {cl.id: [code.id for code in cl.codes] for cl in found}


def variants(base: str) -> list[tuple[str, str, str | None]]:
    """(resource name, URL, label language) of every CSV export variant."""
    csv = f"{base}/exports/observations.csv"
    found: list[tuple[str, str, str | None]] = [
        ("observations", csv, None),
        ("observations-gz", f"{csv}.gz", None),
    ]
    found += [(f"observations-labels-{lang}", f"{csv}?labels={lang}", lang) for lang in LANGUAGES]
    return found


def codelist_url(base: str, name: str) -> str:
    return f"{base}/exports/codelists/{name}.csv"


def _codelist_resource(base: str, codelist: codelists.Codelist) -> dict[str, Any]:
    return {
        "name": codelist.name,
        "title": codelist.title,
        "path": codelist_url(base, codelist.name),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [
                {
                    "name": c,
                    "type": "string",
                    "constraints": {"required": c in ("code", "kind", "name", "level")},
                }
                for c in codelist.columns
            ],
            "primaryKey": ["code"],
        },
    }


def datapackage(base: str, enum_codes: dict[str, list[str]]) -> dict[str, Any]:
    """The data package describing every export variant and the code lists."""
    foreign_keys = [
        {"fields": [column], "reference": {"resource": resource, "fields": ["code"]}}
        for column, resource in REFERENCES.items()
    ]
    resources: list[dict[str, Any]] = []
    for name, url, language in variants(base):
        resource: dict[str, Any] = {
            "name": name,
            "title": "Observations" + (f", labels in {language}" if language else ""),
            "path": url,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True, "doubleQuote": True},
            "schema": {
                "fields": fields(enum_codes, labels=language is not None),
                "missingValues": [""],
                "foreignKeys": foreign_keys,
            },
        }
        if url.endswith(".gz"):
            resource["compression"] = "gz"
        resources.append(resource)
    resources += [_codelist_resource(base, c) for c in codelists.CODELISTS.values()]
    return {
        "name": "lnob-observations",
        "title": "LNOB Data Commons: observations",
        "description": (
            "Community-driven data on marginalised groups for SDG monitoring, as the caller may "
            "read it (withheld cells have an empty value). Filter parameters of the export "
            "(indicator, area, periodFrom, dataset...) narrow the rows, never the columns."
        ),
        "homepage": f"{base}/catalog",
        "licenses": [LICENSE],
        "resources": resources,
    }


# --- CSVW -----------------------------------------------------------------------------------

_CSVW_TYPES = {
    "number": "number",
    "integer": "integer",
    "datetime": "datetime",
    "date": "date",
    "boolean": "boolean",
}


def _csvw_column(field: dict[str, Any]) -> dict[str, Any]:
    constraints = field.get("constraints", {})
    datatype: dict[str, Any] = {"base": _CSVW_TYPES.get(field["type"], "string")}
    if "pattern" in constraints:
        datatype["format"] = f"^(?:{constraints['pattern']})$"
    if "enum" in constraints:
        datatype["format"] = "^(?:" + "|".join(re.escape(c) for c in constraints["enum"]) + ")$"
    if "minimum" in constraints:
        datatype["minimum"] = constraints["minimum"]
    if field["type"] == "boolean":
        datatype["format"] = f"{field['trueValues'][0]}|{field['falseValues'][0]}"
    if field["type"] == "datetime":
        datatype["format"] = "yyyy-MM-ddTHH:mm:ss.SSSSSSX"
    column: dict[str, Any] = {
        "name": field["name"],
        "titles": field["name"],
        "datatype": datatype,
        "required": bool(constraints.get("required", False)),
    }
    if "description" in field:
        column["dc:description"] = field["description"]
    return column


def csvw(base: str, enum_codes: dict[str, list[str]]) -> dict[str, Any]:
    """CSVW metadata (a table group) for the plain and labelled exports and the code lists.
    The gzip variant is left out: CSVW describes plain CSV only."""
    tables: list[dict[str, Any]] = []
    for _name, url, language in variants(base):
        if url.endswith(".gz"):
            continue
        columns = [_csvw_column(f) for f in fields(enum_codes, labels=language is not None)]
        tables.append(
            {
                "url": url,
                "tableSchema": {
                    "columns": columns,
                    "foreignKeys": [
                        {
                            "columnReference": column,
                            "reference": {
                                "resource": codelist_url(base, resource),
                                "columnReference": "code",
                            },
                        }
                        for column, resource in REFERENCES.items()
                    ],
                },
            }
        )
    for codelist in codelists.CODELISTS.values():
        tables.append(
            {
                "url": codelist_url(base, codelist.name),
                "dc:title": codelist.title,
                "tableSchema": {
                    "columns": [{"name": c, "titles": c} for c in codelist.columns],
                    "primaryKey": "code",
                },
            }
        )
    return {
        "@context": "http://www.w3.org/ns/csvw",
        "dc:title": "LNOB Data Commons: observations",
        "dc:license": {"@id": LICENSE["path"]},
        "dialect": {"header": True, "delimiter": ",", "doubleQuote": True, "encoding": "utf-8"},
        "null": "",
        "tables": tables,
    }
