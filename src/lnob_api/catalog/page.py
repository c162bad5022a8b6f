"""Pages for people: the catalog's home page and each dataset's landing page, rendered from
the same JSON-LD documents the machines get."""

from __future__ import annotations

from html import escape
from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("@value", value.get("@id", ""))
    return escape(str(value))


def landing_page(node: dict[str, Any]) -> bytes:
    """HTML for one dataset node of the catalog (``service.dataset``)."""
    rows = [
        ("Publisher", _text(node["dct:publisher"]["foaf:name"])),
        ("Area", _text(node["dct:spatial"].get("skos:prefLabel", ""))),
        ("Licence", _text(node["dct:license"])),
        ("Version", _text(node["dcat:version"])),
        ("Access", _text(node["dct:accessRights"]["skos:prefLabel"])),
        ("Themes", ", ".join(_text(t["skos:prefLabel"]) for t in node["dcat:theme"])),
        ("Indicators", ", ".join(_text(k) for k in node["dcat:keyword"])),
    ]
    if "dct:temporal" in node:
        period = node["dct:temporal"]
        start = _text(period.get("dcat:startDate", ""))
        end = _text(period.get("dcat:endDate", ""))
        rows.append(("Period", f"{start} to {end}"))
    facts = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    links = "".join(
        f'<li><a href="{_text(d["dcat:accessURL"])}">{_text(d["dct:title"])}</a></li>'
        for d in node.get("dcat:distribution", [])
    )
    data = f"<h2>Data</h2><ul>{links}</ul>" if links else ""
    access = ""
    if "rdfs:comment" in node:
        access = f'<h2 id="request-access">Request access</h2><p>{_text(node["rdfs:comment"])}</p>'
    iri = _text(node["@id"])
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_text(node['dct:title'])}</title>"
        f'<link rel="alternate" type="application/ld+json" href="{iri}"></head><body>'
        f"<h1>{_text(node['dct:title'])}</h1><p>{_text(node['dct:description'])}</p>"
        f"<table>{facts}</table>{data}{access}"
        f'<p>Machine-readable description: <a href="{iri}">{iri}</a> '
        "(JSON-LD, Turtle or RDF/XML by Accept).</p></body></html>"
    )
    return page.encode()


def catalog_page(document: dict[str, Any]) -> bytes:
    """HTML for the catalog (``service.catalog``): its datasets, each linking to its page."""
    items = "".join(
        f'<li><a href="{_text(d["dcat:landingPage"])}">{_text(d["dct:title"])}</a> '
        f"({_text(d['dct:publisher']['foaf:name'])}; "
        f"{_text(d['dct:accessRights']['skos:prefLabel']).lower()})</li>"
        for d in document["dcat:dataset"]
    )
    iri = _text(document["@id"])
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_text(document['dct:title'])}</title>"
        f'<link rel="alternate" type="application/ld+json" href="{iri}"></head><body>'
        f"<h1>{_text(document['dct:title'])}</h1><p>{_text(document['dct:description'])}</p>"
        f"<h2>Datasets</h2><ul>{items}</ul>"
        f'<p>The catalog for machines (DCAT-AP 3): <a href="{iri}">{iri}</a> '
        "(JSON-LD, Turtle or RDF/XML by Accept). GraphQL API: /graphql; bulk data: "
        "/exports/observations.csv (schema: /exports/datapackage.json) and /sdmx.</p>"
        "</body></html>"
    )
    return page.encode()
