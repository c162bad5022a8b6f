"""The DCAT-AP 3 catalog as JSON-LD: one ``dcat:Dataset`` per released dataset the caller may
know of, valid against the official DCAT-AP 3.0.0 SHACL shapes.

- Datasets whose data the caller reads carry ``dct:accessRights`` PUBLIC (or RESTRICTED when
  their visibility is narrower than public) and a CSV and an SDMX distribution filtered to the
  dataset. Datasets the caller only knows of (metadata visible, data not: a wider
  ``metadata_visibility``) are listed RESTRICTED, without distributions, with how to ask for
  access (the ``accessRequestCreate`` mutation). Anything else is not listed at all: a hidden
  dataset looks exactly like a missing one, here and on its own IRI.
- Every dataset and distribution has an IRI that answers (``/catalog/datasets/{slug}`` and
  ``.../distributions/{csv,sdmx}``); the landing page is ``/catalog/datasets/{slug}.html``
  and the catalog's home page ``/catalog.html``.
- A dataset names the publications drawing on it that the caller may see
  (``dct:isReferencedBy``): each a ``foaf:Document`` (and ``rdfs:Resource``) with its title,
  its ``dct:language`` (the EU language authority's concept for its BCP 47 tag, declared on
  ``PUBLICATION``) and the day it was issued, identified within the catalog
  (``/catalog#publication-{slug}``).
- Terms are written with the prefixes of ``vocabulary.CONTEXT`` (compact JSON-LD that rdflib,
  and CKAN's DCAT harvester through it, expand to the DCAT-AP IRIs).
"""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import pycountry
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.principal import Principal
from lnob_api.catalog import repository
from lnob_api.catalog import vocabulary as v
from lnob_api.declare.entities import DATASET, PUBLICATION
from lnob_api.sdmx import model as sdmx_model

DISTRIBUTIONS = ("csv", "sdmx")
TITLE = "LNOB Data Commons"
DESCRIPTION = (
    "Community-driven data on marginalised groups for SDG monitoring, from the country "
    "coalitions of the Leave No One Behind partnership."
)


def _en(text: str) -> dict[str, str]:
    return {"@value": text, "@language": "en"}


def _literal(value: date | datetime | None) -> dict[str, str] | None:
    if value is None:
        return None
    kind = "xsd:dateTime" if isinstance(value, datetime) else "xsd:date"
    return {"@value": value.isoformat(), "@type": kind}


def dataset_iri(base: str, slug: str) -> str:
    return f"{base}/catalog/datasets/{slug}"


def global_id(dataset_id: int) -> str:
    """The dataset's GraphQL id (what ``accessRequestCreate`` takes)."""
    return base64.b64encode(f"Dataset:{dataset_id}".encode()).decode()


def access_request_mutation(row: Any) -> str:
    return (
        f'mutation {{ accessRequestCreate(input: {{dataset: "{global_id(row.id)}", '
        'purpose: "what you will use the data for"}) '
        "{ accessRequest { id status } userErrors { field code message } } }"
    )


def access_request_note(base: str, row: Any) -> str:
    return (
        "Metadata only: the data of this dataset is restricted. Signed in (with a bearer "
        f"token), request access with the GraphQL mutation accessRequestCreate at {base}/graphql, "
        f"for example: {access_request_mutation(row)} -- the coalition's admins approve or "
        "decline the request, and a grant then opens the data."
    )


def _publisher(base: str, row: Any) -> dict[str, Any]:
    return {
        "@id": f"{base}/catalog#coalition-{row.coalition_code.lower()}",
        "@type": "foaf:Agent",
        "foaf:name": row.coalition_name,
    }


def _contact(base: str, row: Any) -> dict[str, Any]:
    # vcard:Kind named as well: the shapes check the class in the data, not the ontology.
    contact: dict[str, Any] = {
        "@id": f"{base}/catalog#contact-{row.coalition_code.lower()}",
        "@type": ["vcard:Kind", "vcard:Organization"],
        "vcard:fn": row.coalition_name,
    }
    if row.website:
        contact["vcard:hasURL"] = {"@id": row.website}
    return contact


def _spatial(row: Any) -> dict[str, Any]:
    place: dict[str, Any] = {
        "@type": "dct:Location",
        "skos:notation": row.area_code,
        "skos:prefLabel": row.area_name,
    }
    if row.area_level == "COUNTRY":
        country = pycountry.countries.get(alpha_2=row.area_code)
        if country is not None:
            place["@id"] = f"{v.COUNTRY}{country.alpha_3}"
    return place


def services(base: str) -> dict[str, dict[str, Any]]:
    """The APIs that serve the data (``dcat:DataService``), by distribution kind."""
    return {
        "csv": {
            "@id": f"{base}/catalog#service-exports",
            "@type": "dcat:DataService",
            "dct:title": "Bulk CSV export (filters as query parameters)",
            "dcat:endpointURL": v.resource(f"{base}/exports/observations.csv"),
            "dcat:endpointDescription": v.resource(f"{base}/exports/datapackage.json"),
        },
        "sdmx": {
            "@id": f"{base}/catalog#service-sdmx",
            "@type": "dcat:DataService",
            "dct:title": "SDMX 2.1 REST API",
            "dcat:endpointURL": v.resource(f"{base}/sdmx"),
            "dct:conformsTo": v.standard(v.SDMX_STANDARD, "SDMX 2.1"),
        },
        "graphql": {
            "@id": f"{base}/catalog#service-graphql",
            "@type": "dcat:DataService",
            "dct:title": "GraphQL API",
            "dcat:endpointURL": v.resource(f"{base}/graphql"),
            "dcat:endpointDescription": v.resource(f"{base}/graphql"),
            "dct:conformsTo": v.standard("https://spec.graphql.org/", "GraphQL"),
        },
    }


def distribution(base: str, row: Any, kind: str) -> dict[str, Any]:
    """One distribution of a readable dataset (``kind`` in ``DISTRIBUTIONS``)."""
    query = urlencode({"dataset": row.slug})
    if kind == "csv":
        title = "Observations as CSV"
        url = f"{base}/exports/observations.csv?{query}"
        described = {
            "dcat:downloadURL": v.resource(url),
            "dcat:mediaType": v.media_type("text/csv"),
            "dct:format": v.file_type("CSV"),
            "dct:conformsTo": v.standard(
                f"{base}/exports/datapackage.json",
                "Frictionless data package with the export's Table Schema",
            ),
        }
    else:
        title = "Observations as SDMX (SDMX-ML 2.1, SDMX-JSON 1.0, SDMX-CSV)"
        flow = f"{sdmx_model.AGENCY},{sdmx_model.flow_id(row.coalition_code)},{sdmx_model.VERSION}"
        url = f"{base}/sdmx/data/{flow}/all?{query}"
        described = {
            "dct:format": v.file_type("SDMX"),
            "dct:conformsTo": v.standard(v.SDMX_STANDARD, "SDMX 2.1"),
        }
    return {
        "@id": f"{dataset_iri(base, row.slug)}/distributions/{kind}",
        "@type": "dcat:Distribution",
        "dct:title": title,
        "dcat:accessURL": v.resource(url),
        **described,
        "dct:license": v.license_document(row.license),
        "dcat:accessService": services(base)[kind],
    }


def _publication(base: str, row: Any) -> dict[str, Any]:
    """A publication drawing on a dataset, as the dataset's ``dct:isReferencedBy``."""
    # rdfs:Resource named as well: the shapes check the class in the data, not the ontology.
    node: dict[str, Any] = {
        "@id": f"{base}/catalog#publication-{row.slug}",
        "@type": ["foaf:Document", "rdfs:Resource"],
        "dct:title": row.title,
        **PUBLICATION.dcat_properties(row),
    }
    if row.published_on is not None:
        node["dct:issued"] = _literal(row.published_on)
    return node


def _dataset(
    base: str,
    row: Any,
    indicators: list[Any],
    covered: tuple[Any, Any] | None,
    publications: list[Any],
) -> dict[str, Any]:
    goals = {found.goal: found.goal_title for found in indicators}
    iri = dataset_iri(base, row.slug)
    node: dict[str, Any] = {
        "@id": iri,
        "@type": "dcat:Dataset",
        "dct:identifier": row.slug,
        "dct:title": row.title,
        "dct:description": row.description or row.title,
        "dct:publisher": _publisher(base, row),
        "dcat:contactPoint": _contact(base, row),
        "dcat:landingPage": v.document(f"{iri}.html"),
        "dcat:theme": [v.SOCIETY, *(v.goal(g, t) for g, t in sorted(goals.items()))],
        "dcat:keyword": [f"SDG indicator {found.code}" for found in indicators],
        "dct:spatial": _spatial(row),
        "dct:license": v.license_document(row.license),
        "dcat:version": str(row.version),
        **DATASET.dcat_properties(row),
    }
    if row.readable:
        node["dct:accessRights"] = v.access_rights(restricted=row.visibility != "PUBLIC")
        node["dcat:distribution"] = [distribution(base, row, kind) for kind in DISTRIBUTIONS]
    else:
        node["dct:accessRights"] = v.access_rights(restricted=True)
        node["rdfs:comment"] = access_request_note(base, row)
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
    if publications:
        node["dct:isReferencedBy"] = [_publication(base, found) for found in publications]
    return node


async def _described(
    conn: AsyncConnection, principal: Principal, base: str, rows: list[Any]
) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    indicators: dict[int, list[Any]] = defaultdict(list)
    for found in await repository.indicators_of(conn, ids):
        indicators[found.dataset_id].append(found)
    # Coverage from the observations the caller reads: none for a restricted dataset, whose
    # collection period is given instead.
    coverage = await repository.coverage(conn, principal, [r.id for r in rows if r.readable])
    publications: dict[int, list[Any]] = defaultdict(list)
    for found in await repository.publications_of(conn, principal, ids):
        publications[found.dataset_id].append(found)
    return [
        _dataset(base, row, indicators[row.id], coverage.get(row.id), publications[row.id])
        for row in rows
    ]


async def catalog(conn: AsyncConnection, principal: Principal, *, base: str) -> dict[str, Any]:
    """The catalog of the released datasets ``principal`` may know of."""
    rows = await repository.listed(conn, principal)
    document: dict[str, Any] = {
        "@context": v.CONTEXT,
        "@id": f"{base}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": _en(TITLE),
        "dct:description": _en(DESCRIPTION),
        "dct:publisher": {
            "@id": f"{base}/catalog#publisher",
            "@type": "foaf:Agent",
            "foaf:name": sdmx_model.AGENCY_NAME,
        },
        "foaf:homepage": v.document(f"{base}/catalog.html"),
        "dct:language": v.ENGLISH,
        "dct:license": v.license_document("CC-BY-4.0"),
        "dcat:themeTaxonomy": v.THEME_SCHEMES,
        "dcat:service": list(services(base).values()),
    }
    issued = [row.published_at for row in rows if row.published_at is not None]
    if issued:
        document["dct:issued"] = _literal(min(issued))
    if rows:
        document["dct:modified"] = _literal(max(row.updated_at for row in rows))
    document["dcat:dataset"] = await _described(conn, principal, base, rows)
    return document


async def dataset(
    conn: AsyncConnection, principal: Principal, *, base: str, slug: str
) -> dict[str, Any] | None:
    """One dataset's description (None when the principal may not know of it)."""
    rows = await repository.listed(conn, principal, slug=slug)
    if not rows:
        return None
    (node,) = await _described(conn, principal, base, rows)
    return {"@context": v.CONTEXT, **node}


async def distribution_of(
    conn: AsyncConnection, principal: Principal, *, base: str, slug: str, kind: str
) -> dict[str, Any] | None:
    """One distribution's description (None unless the principal reads the dataset's data)."""
    if kind not in DISTRIBUTIONS:
        return None
    rows = await repository.listed(conn, principal, slug=slug)
    if not rows or not rows[0].readable:
        return None
    return {"@context": v.CONTEXT, **distribution(base, rows[0], kind)}
