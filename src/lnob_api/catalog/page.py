"""A dataset's landing page: its catalog description as a small HTML page for people."""

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
