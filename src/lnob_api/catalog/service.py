"""The DCAT-AP catalog as JSON-LD: one ``dcat:Dataset`` per released dataset the caller may
read, each with a CSV and an SDMX distribution filtered to that dataset.

Terms are written with prefixes declared in ``@context`` (valid compact JSON-LD that RDF
tools, and CKAN's DCAT harvester through rdflib, expand to the DCAT-AP IRIs).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

import pycountry
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.principal import Principal
from lnob_api.catalog import repository
from lnob_api.sdmx import model as sdmx_model

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}
MEDIA = "http://www.iana.org/assignments/media-types/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
SDG_GOAL = "http://metadata.un.org/sdg/"
SDMX_STANDARD = "https://sdmx.org/?page_id=5008"


def _literal(value: date | datetime | None) -> dict[str, str] | None:
    if value is None:
        return None
    kind = "xsd:dateTime" if isinstance(value, datetime) else "xsd:date"
    return {"@value": value.isoformat(), "@type": kind}


def _license(spdx: str) -> dict[str, str]:
    return {"@id": f"https://spdx.org/licenses/{quote(spdx)}"}


def _spatial(row: Any) -> dict[str, Any]:
    place: dict[str, Any] = {
        "@type": "dct:Location",
        "skos:notation": row.area_code,
        "skos:prefLabel": row.area_name,
    }
    if row.area_level == "COUNTRY":
        country = pycountry.countries.get(alpha_2=row.area_code)
        if country is not None:
            place["@id"] = f"{COUNTRY}{country.alpha_3}"
    return place


def _distributions(base: str, row: Any) -> list[dict[str, Any]]:
    csv_url = f"{base}/exports/observations.csv?{urlencode({'dataset': row.slug})}"
    flow = f"{sdmx_model.AGENCY},{sdmx_model.flow_id(row.coalition_code)},{sdmx_model.VERSION}"
    sdmx_url = f"{base}/sdmx/data/{flow}/all?{urlencode({'dataset': row.slug})}"
    return [
        {
            "@type": "dcat:Distribution",
            "dct:title": "Observations as CSV",
            "dcat:accessURL": {"@id": csv_url},
            "dcat:downloadURL": {"@id": csv_url},
            "dcat:mediaType": {"@id": f"{MEDIA}text/csv"},
            "dct:format": {"@id": f"{FILE_TYPE}CSV"},
            "dct:license": _license(row.license),
        },
        {
            "@type": "dcat:Distribution",
            "dct:title": "Observations as SDMX (SDMX-ML 2.1, SDMX-JSON 1.0, SDMX-CSV)",
            "dcat:accessURL": {"@id": sdmx_url},
            "dct:format": {"@id": f"{FILE_TYPE}SDMX"},
            "dct:conformsTo": {"@id": SDMX_STANDARD},
            "dct:license": _license(row.license),
        },
    ]


async def catalog(conn: AsyncConnection, principal: Principal, *, base: str) -> dict[str, Any]:
    """The catalog of released datasets whose data ``principal`` may read."""
    rows = await repository.released(conn, principal)
    ids = [row.id for row in rows]
    indicators: dict[int, list[Any]] = defaultdict(list)
    for found in await repository.indicators_of(conn, ids):
        indicators[found.dataset_id].append(found)
    coverage = await repository.coverage(conn, principal, ids)
    return {
        "@context": CONTEXT,
        "@id": f"{base}/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": "LNOB Data Commons",
        "dct:description": (
            "Community-driven data on marginalised groups for SDG monitoring, from the "
            "country coalitions of the Leave No One Behind partnership."
        ),
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": sdmx_model.AGENCY_NAME},
        "foaf:homepage": {"@id": f"{base}/"},
        "dcat:dataset": [
            _dataset(base, row, indicators[row.id], coverage.get(row.id)) for row in rows
        ],
    }


def _dataset(
    base: str, row: Any, indicators: list[Any], covered: tuple[Any, Any] | None
) -> dict[str, Any]:
    goals = {found.goal: found.goal_title for found in indicators}
    node: dict[str, Any] = {
        "@id": f"{base}/catalog.jsonld#{row.slug}",
        "@type": "dcat:Dataset",
        "dct:identifier": row.slug,
        "dct:title": row.title,
        "dct:description": row.description or row.title,
        "dct:publisher": {
            "@id": f"{base}/catalog.jsonld#coalition-{row.coalition_code.lower()}",
            "@type": "foaf:Agent",
            "foaf:name": row.coalition_name,
        },
        "dcat:theme": [
            {"@id": f"{SDG_GOAL}{goal}", "skos:prefLabel": f"SDG {goal}: {title}"}
            for goal, title in sorted(goals.items())
        ],
        "dcat:keyword": [f"SDG indicator {found.code}" for found in indicators],
        "dct:spatial": _spatial(row),
        "dct:license": _license(row.license),
        "owl:versionInfo": str(row.version),
        "dcat:distribution": _distributions(base, row),
    }
    start, end = covered or (row.collection_start, row.collection_end)
    if start is not None or end is not None:
        period: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
        if start is not None:
            period["dcat:startDate"] = _literal(start)
        if end is not None:
            period["dcat:endDate"] = _literal(end)
        node["dct:temporal"] = period
    if row.published_at is not None:
        node["dct:issued"] = _literal(row.published_at)
    node["dct:modified"] = _literal(row.updated_at)
    return node
