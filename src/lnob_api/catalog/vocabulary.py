"""The vocabularies the catalog speaks, and typed nodes for their terms.

DCAT-AP 3 wants every object of a typed property to say its class in the data (a licence is a
``dct:LicenseDocument``, a theme a ``skos:Concept``, a format a ``dct:MediaTypeOrExtent``...):
the SHACL shapes check ``sh:class`` against the graph itself, not against the vocabularies.
The IRIs are the EU Publications Office authority tables (file types, data themes, access
rights, languages, countries), IANA media types, SPDX licences and the UN SDG goal concepts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

AUTHORITY = "http://publications.europa.eu/resource/authority/"
FILE_TYPE = f"{AUTHORITY}file-type/"
COUNTRY = f"{AUTHORITY}country/"
DATA_THEME = f"{AUTHORITY}data-theme"
ACCESS_RIGHT = f"{AUTHORITY}access-right/"
LANGUAGE = f"{AUTHORITY}language/"
MEDIA = "http://www.iana.org/assignments/media-types/"
SDG = "http://metadata.un.org/sdg"
SDMX_STANDARD = "https://sdmx.org/?page_id=5008"
SPDX = "https://spdx.org/licenses/"

# Every dataset is about people and society (the EU data theme); its SDG goals say more.
SOCIETY = {
    "@id": f"{DATA_THEME}/SOCI",
    "@type": "skos:Concept",
    "skos:prefLabel": {"@value": "Population and society", "@language": "en"},
    "skos:inScheme": {"@id": DATA_THEME},
}
THEME_SCHEMES = [
    {
        "@id": DATA_THEME,
        "@type": "skos:ConceptScheme",
        "dct:title": {"@value": "Data theme", "@language": "en"},
    },
    {
        "@id": SDG,
        "@type": "skos:ConceptScheme",
        "dct:title": {"@value": "Sustainable Development Goals", "@language": "en"},
    },
]
ENGLISH = {"@id": f"{LANGUAGE}ENG", "@type": "dct:LinguisticSystem"}


def goal(code: object, title: str) -> dict[str, Any]:
    """An SDG goal as a concept of the UN's SDG scheme."""
    return {
        "@id": f"{SDG}/{code}",
        "@type": "skos:Concept",
        "skos:prefLabel": {"@value": f"Goal {code}: {title}", "@language": "en"},
        "skos:notation": str(code),
        "skos:inScheme": {"@id": SDG},
    }


def license_document(spdx: str) -> dict[str, Any]:
    return {"@id": f"{SPDX}{quote(spdx)}", "@type": "dct:LicenseDocument"}


def access_rights(restricted: bool) -> dict[str, Any]:
    code, label = ("RESTRICTED", "Restricted") if restricted else ("PUBLIC", "Public")
    return {
        "@id": f"{ACCESS_RIGHT}{code}",
        "@type": "dct:RightsStatement",
        "skos:prefLabel": {"@value": label, "@language": "en"},
    }


def file_type(code: str) -> dict[str, Any]:
    return {"@id": f"{FILE_TYPE}{code}", "@type": "dct:MediaTypeOrExtent"}


def media_type(name: str) -> dict[str, Any]:
    return {"@id": f"{MEDIA}{name}", "@type": "dct:MediaType"}


def resource(url: str) -> dict[str, Any]:
    return {"@id": url, "@type": "rdfs:Resource"}


def document(url: str) -> dict[str, Any]:
    return {"@id": url, "@type": "foaf:Document"}


def standard(url: str, title: str) -> dict[str, Any]:
    return {"@id": url, "@type": "dct:Standard", "dct:title": title}
