"""Serialisations of the catalog's JSON-LD documents, and which one a client asks for.

JSON-LD is written as built (compact, with its ``@context``); Turtle, RDF/XML and N-Triples
are rdflib's serialisations of the same graph, so every format says the same triples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import rdflib

from lnob_api.catalog.vocabulary import CONTEXT


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    media_type: str
    rdflib: str | None  # None: written directly


JSON_LD = Format("jsonld", "application/ld+json", None)
TURTLE = Format("turtle", "text/turtle; charset=utf-8", "turtle")
RDF_XML = Format("rdfxml", "application/rdf+xml", "pretty-xml")
N_TRIPLES = Format("ntriples", "application/n-triples", "nt11")
HTML = Format("html", "text/html; charset=utf-8", None)

RDF_FORMATS = (JSON_LD, TURTLE, RDF_XML, N_TRIPLES)
_BY_MEDIA = {
    "application/ld+json": JSON_LD,
    "application/json": JSON_LD,
    "text/turtle": TURTLE,
    "application/x-turtle": TURTLE,
    "application/rdf+xml": RDF_XML,
    "application/xml": RDF_XML,
    "text/xml": RDF_XML,
    "application/n-triples": N_TRIPLES,
    "text/html": HTML,
    "application/xhtml+xml": HTML,
}
OFFERED = "application/ld+json, text/turtle, application/rdf+xml, application/n-triples"


def negotiate(accept: str | None, *, html: bool = False) -> Format | None:
    """The format for an ``Accept`` header (JSON-LD when absent or ``*/*``); None when nothing
    offered is acceptable. ``text/html`` only where a page exists (``html``)."""
    if not accept or not accept.strip():
        return JSON_LD
    candidates: list[tuple[float, int, int, Format]] = []
    for position, item in enumerate(accept.split(",")):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media in ("*/*", "application/*"):
            chosen: Format | None = JSON_LD
        elif media == "text/*":
            chosen = HTML if html else TURTLE
        else:
            chosen = _BY_MEDIA.get(media)
        if q <= 0 or chosen is None or (chosen is HTML and not html):
            continue
        # Higher q wins; at equal q, a named type over a range, then the earlier one.
        candidates.append((q, 0 if "*" in media else 1, -position, chosen))
    return max(candidates, key=lambda c: c[:3])[3] if candidates else None


def graph(document: dict[str, Any]) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=json.dumps(document), format="json-ld")
    for prefix, namespace in CONTEXT.items():
        g.bind(prefix, rdflib.Namespace(namespace))
    return g


def render(document: dict[str, Any], fmt: Format) -> bytes:
    """``document`` in ``fmt`` (CPU-bound for rdflib's formats: call off the event loop)."""
    if fmt.rdflib is None:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    out = graph(document).serialize(format=fmt.rdflib, encoding="utf-8")
    return out if isinstance(out, bytes) else out.encode()
