"""SDMX-JSON structure messages: version 1.0 for the SDMX 2.1 structure routes and 2.0 for
``/sdmx/3.0/structure/...``, holding the same artefacts as the SDMX-ML messages
(``sdmx.structure``, ``sdmx.structure30``).

The two versions differ where SDMX 2.1 and 3.0 do: 1.0 has ``timeDimensions`` (a list), a
``primaryMeasure``, ``assignmentStatus``, attribute relationships to the primary measure,
``textFormat``/``textType``, ``isFinal`` and ``contentConstraints`` (``type``); 2.0 has one
``timeDimension``, ``measures``, ``usage``, relationships to the observation or the dataflow,
``format``/``dataType`` and ``dataConstraints`` (``role``). References are URNs in both. A stub
(``detail=...stubs``) is the artefact's identity and name, ``isExternalReference`` and a link
(``rel`` ``external``) to the full artefact.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from lnob_api.sdmx import categories, model, structure
from lnob_api.sdmx.structure import CONCEPTS_NAME, DSD_NAME, TEXT_TYPES, components, stub_url, urn

SCHEMA = (
    "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/structure-message/tools/"
    "schemas/{}/sdmx-json-structure-schema.json"
)
MEDIA_TYPES = {
    "1.0": "application/vnd.sdmx.structure+json; version=1.0.0; charset=utf-8",
    "2.0": "application/vnd.sdmx.structure+json; version=2.0.0; charset=utf-8",
}


def _text(value: str) -> dict[str, Any]:
    return {"name": value, "names": {"en": value}}


class _Writer:
    def __init__(self, found: structure.Structures, version: str) -> None:
        self.found = found
        self.v2 = version == "2.0"

    def maintainable(self, package: str, cls: str, id: str, title: str) -> dict[str, Any]:
        """Identity, name and (a stub) the link to the full artefact."""
        out: dict[str, Any] = {
            "id": id,
            "urn": urn(package, cls, id),
            "agencyID": model.AGENCY,
            "version": model.VERSION,
            **_text(title),
        }
        if not self.v2:
            out["isFinal"] = False
        if cls in self.found.stubs:
            out["isExternalReference"] = True
            out["links"] = [
                {
                    "rel": "external",
                    "href": stub_url(cls, id, self.found.base_url),
                    "urn": out["urn"],
                }
            ]
        return out

    def stub(self, cls: str) -> bool:
        return cls in self.found.stubs

    def dataflow(self, flow: structure.Dataflow) -> dict[str, Any]:
        out = self.maintainable("datastructure", "Dataflow", flow.id, flow.name)
        if flow.description:
            out["descriptions"] = {"en": flow.description}
        if not self.stub("Dataflow"):
            out["structure"] = urn("datastructure", "DataStructure", model.DSD_ID)
        return out

    def codelist(self, codelist: structure.Codelist) -> dict[str, Any]:
        out = self.maintainable("codelist", "Codelist", codelist.id, codelist.name)
        if self.stub("Codelist") or not codelist.codes:
            return out
        if codelist.partial:
            out["isPartial"] = True
        codes = []
        for code in codelist.codes:
            item: dict[str, Any] = {
                "id": code.id,
                "urn": urn("codelist", "Code", codelist.id, code.id),
                **_text(code.name),
            }
            if code.parent is not None:
                item["parent"] = code.parent
            codes.append(item)
        out["codes"] = codes
        return out

    def format(self, text_type: str) -> dict[str, Any]:
        return (
            {"format": {"dataType": text_type}}
            if self.v2
            else {"textFormat": {"textType": text_type}}
        )

    def concepts(self) -> dict[str, Any]:
        id = model.CONCEPT_SCHEME_ID
        out = self.maintainable("conceptscheme", "ConceptScheme", id, CONCEPTS_NAME)
        if self.stub("ConceptScheme"):
            return out
        out["concepts"] = [
            {
                "id": c.id,
                "urn": urn("conceptscheme", "Concept", id, c.id),
                **_text(c.name),
                "coreRepresentation": self.format(TEXT_TYPES.get(c.id, "String")),
            }
            for c in components()
        ]
        return out

    def representation(self, component: model.Component) -> dict[str, Any]:
        if component.codelist is None:
            return self.format(TEXT_TYPES.get(component.id, "String"))
        return {"enumeration": urn("codelist", "Codelist", component.codelist)}

    def component(self, component: model.Component, **extra: Any) -> dict[str, Any]:
        concept = urn("conceptscheme", "Concept", model.CONCEPT_SCHEME_ID, component.id)
        out = {"id": component.id, "conceptIdentity": concept, **extra}
        out["localRepresentation"] = self.representation(component)
        return out

    def dsd(self) -> dict[str, Any]:
        out = self.maintainable("datastructure", "DataStructure", model.DSD_ID, DSD_NAME)
        if self.stub("DataStructure"):
            return out
        dimensions = [
            self.component(d, position=i, urn=urn("datastructure", "Dimension", model.DSD_ID, d.id))
            for i, d in enumerate(model.DIMENSIONS, start=1)
        ]
        time = self.component(model.TIME)
        measure = components()[-1]
        attributes = []
        for attribute in model.ATTRIBUTES:
            dataset = attribute is model.DATASET
            if self.v2:
                extra: dict[str, Any] = {
                    "usage": "optional",
                    "attributeRelationship": {"dataflow": {}} if dataset else {"observation": {}},
                }
            else:
                extra = {
                    "assignmentStatus": "Conditional",
                    "attributeRelationship": {"none": {}}
                    if dataset
                    else {"primaryMeasure": model.MEASURE},
                }
            attributes.append(self.component(attribute, **extra))
        dimension_list: dict[str, Any] = {"id": "DimensionDescriptor", "dimensions": dimensions}
        measures: dict[str, Any]
        if self.v2:
            dimension_list["timeDimension"] = time
            measures = {"id": "MeasureDescriptor", "measures": [self.component(measure)]}
        else:
            time["position"] = model.KEY_LENGTH + 1
            dimension_list["timeDimensions"] = [time]
            measures = {"id": "MeasureDescriptor", "primaryMeasure": self.component(measure)}
        out["dataStructureComponents"] = {
            "dimensionList": dimension_list,
            "attributeList": {"id": "AttributeDescriptor", "attributes": attributes},
            "measureList": measures,
        }
        return out

    def scheme(self, goals: list[model.Item]) -> dict[str, Any]:
        id = categories.SCHEME_ID
        out = self.maintainable("categoryscheme", "CategoryScheme", id, categories.SCHEME_NAME)
        if not self.stub("CategoryScheme") and goals:
            out["categories"] = [
                {"id": g.id, "urn": urn("categoryscheme", "Category", id, g.id), **_text(g.name)}
                for g in goals
            ]
        return out

    def categorisation(self, found: categories.Categorisation) -> dict[str, Any]:
        title = f"{found.flow} in SDG goal {found.goal}"
        out = self.maintainable("categoryscheme", "Categorisation", found.id, title)
        if not self.stub("Categorisation"):
            out["source"] = urn("datastructure", "Dataflow", found.flow)
            out["target"] = urn("categoryscheme", "Category", categories.SCHEME_ID, found.goal)
        return out

    def constraint(self, found: structure.Availability) -> dict[str, Any]:
        cls = "DataConstraint" if self.v2 else "ContentConstraint"
        out = self.maintainable("registry", cls, found.id, f"Availability of {found.flow}")
        out["annotations"] = [
            {"id": "obs_count", "title": str(found.obs_count), "type": "sdmx_metrics"}
        ]
        out["role" if self.v2 else "type"] = "Actual"
        out["constraintAttachment"] = {"dataflows": [urn("datastructure", "Dataflow", found.flow)]}
        keys: list[dict[str, Any]] = [
            {"id": dimension, "values": codes} for dimension, codes in found.values.items() if codes
        ]
        if found.time is not None:
            start, end = (d.isoformat() for d in found.time)
            keys.append(
                {
                    "id": model.TIME_DIMENSION,
                    "timeRange": {
                        "startPeriod": {"period": start, "isInclusive": True},
                        "endPeriod": {"period": end, "isInclusive": True},
                    },
                }
            )
        region: dict[str, Any] = {"include" if self.v2 else "isIncluded": True}
        if keys:
            region["keyValues"] = keys
        out["cubeRegions"] = [region]
        return out

    def data(self) -> dict[str, Any]:
        found = self.found
        data: dict[str, Any] = {}
        if found.dataflows:
            data["dataflows"] = [self.dataflow(f) for f in found.dataflows]
        if found.categories is not None:
            data["categorySchemes"] = [self.scheme(found.categories)]
        if found.categorisations:
            data["categorisations"] = [self.categorisation(c) for c in found.categorisations]
        if found.codelists:
            data["codelists"] = [self.codelist(c) for c in found.codelists]
        if found.concepts:
            data["conceptSchemes"] = [self.concepts()]
        if found.datastructure:
            data["dataStructures"] = [self.dsd()]
        if found.constraints:
            name = "dataConstraints" if self.v2 else "contentConstraints"
            data[name] = [self.constraint(c) for c in found.constraints]
        return data


def body(found: structure.Structures, version: str) -> dict[str, Any]:
    """The ``data`` block (what an ETag of the message is computed from)."""
    return _Writer(found, version).data()


def message(found: structure.Structures, version: str = "1.0") -> bytes:
    """The SDMX-JSON structure message (``version`` ``1.0`` or ``2.0``)."""
    prepared = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    meta = {
        "schema": SCHEMA.format("2.0.0" if version == "2.0" else "1.0"),
        "id": f"IREF{uuid.uuid4().hex[:16].upper()}",
        "test": False,
        "prepared": prepared,
        "contentLanguages": ["en"],
        "sender": {"id": model.AGENCY, **_text(model.AGENCY_NAME)},
    }
    return json.dumps({"meta": meta, "data": body(found, version)}).encode()
