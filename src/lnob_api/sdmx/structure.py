"""SDMX-ML 2.1 structure messages: dataflows, the data structure definition, concepts and
code lists. Structures are small (code lists of a few thousand codes at most), so a message
is built whole."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from lnob_api.sdmx import categories, model
from lnob_api.sdmx.xml import DECLARATION, attrs, header, item, name, ref, text, xmlns

URN = "urn:sdmx:org.sdmx.infomodel"


def urn(package: str, cls: str, id: str, item: str | None = None) -> str:
    """The URN of one of the agency's artefacts (with ``item``: of an item in a scheme)."""
    found = f"{URN}.{package}.{cls}={model.AGENCY}:{id}({model.VERSION})"
    return found if item is None else f"{found}.{item}"


@dataclass(frozen=True, slots=True)
class Codelist:
    id: str
    name: str
    codes: list[model.Item]
    # only the codes the queried artefact uses (``detail=referencepartial``)
    partial: bool = False


@dataclass(frozen=True, slots=True)
class Dataflow:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Availability:
    """The actual content of a dataflow for one caller (``sdmx.availability``): the codes per
    dimension, the first and last day covered, and the number of observations."""

    flow: str
    values: dict[str, list[str]]
    time: tuple[date, date] | None
    obs_count: int

    @property
    def id(self) -> str:
        return f"CC_{self.flow}"


@dataclass
class Structures:
    """What one structure message holds."""

    dataflows: list[Dataflow] = field(default_factory=list)
    codelists: list[Codelist] = field(default_factory=list)
    concepts: bool = False
    datastructure: bool = False
    # the SDG goals' category scheme (None: not in the message) and categorisations
    categories: list[Any] | None = None
    categorisations: list[Any] = field(default_factory=list)
    # Actual ContentConstraints (SDMX 3.0: DataConstraints), one per dataflow.
    constraints: list[Availability] = field(default_factory=list)
    # Classes written as stubs (``detail=allstubs|referencestubs``): id, name and the URL of
    # the full artefact only; ``base_url`` is the service's (``http://host/sdmx``).
    stubs: frozenset[str] = frozenset()
    base_url: str = ""


CODELIST_NAMES = {
    "CL_INDICATOR": "SDG global indicators and community-defined indicators",
    "CL_AREA": "Reference areas (ISO 3166 countries, subdivisions and local areas)",
    "CL_SEX": "Sex",
    "CL_AGE": "Age",
    "CL_DISABILITY_STATUS": "Disability status",
    "CL_URBANISATION": "Degree of urbanisation",
    "CL_GROUP": "Marginalised groups",
    "CL_OBS_STATUS": "Observation status",
    "CL_CONF_STATUS": "Confidentiality status",
    "CL_UNIT": "Units of measure",
    "CL_PRODUCER_TYPE": "Types of data producer",
    "CL_COLLECTION_METHOD": "Data collection methods",
    "CL_SAMPLING": "Sampling approaches",
}


def message(structures: Structures) -> bytes:
    """The structure message, in the order the SDMX-ML 2.1 schema lists the artefacts."""
    return (
        DECLARATION
        + "<message:Structure"
        + xmlns("message", "common", "structure", "xsi")
        + ">"
        + header()
        + body(structures)
        + "</message:Structure>"
    ).encode()


def body(structures: Structures) -> str:
    """``<message:Structures>``: everything of the message but its header (what an ETag of
    the message is computed from), the artefacts in the order of the SDMX-ML 2.1 schema."""
    stubs, base = structures.stubs, structures.base_url

    def stubbed(cls: str, package: str, id: str, title: str, full: Callable[[], str]) -> str:
        return _stub(cls, package, id, title, base) if cls in stubs else full()

    def url(cls: str, id: str) -> str | None:
        return stub_url(cls, id, base) if cls in stubs else None

    goals = structures.categories
    sections = {
        "Dataflows": [
            stubbed("Dataflow", "datastructure", f.id, f.name, partial(_dataflow, f))
            for f in structures.dataflows
        ],
        "CategorySchemes": []
        if goals is None
        else [categories.scheme(goals, stub_url=url("CategoryScheme", categories.SCHEME_ID))],
        "Categorisations": [
            categories.categorisation(c, stub_url=url("Categorisation", c.id))
            for c in structures.categorisations
        ],
        "Codelists": [
            stubbed("Codelist", "codelist", c.id, c.name, partial(_codelist, c))
            for c in structures.codelists
        ],
        "Concepts": [
            stubbed(
                "ConceptScheme", "conceptscheme", model.CONCEPT_SCHEME_ID, CONCEPTS_NAME, _concepts
            )
        ]
        if structures.concepts
        else [],
        "DataStructures": [stubbed("DataStructure", "datastructure", model.DSD_ID, DSD_NAME, _dsd)]
        if structures.datastructure
        else [],
        "Constraints": [constraint(c) for c in structures.constraints],
    }
    parts = ["<message:Structures>"]
    for container, written in sections.items():
        if written:
            parts.append(f"<structure:{container}>{''.join(written)}</structure:{container}>")
    parts.append("</message:Structures>")
    return "".join(parts)


RESOURCES = {
    "Dataflow": "dataflow",
    "Codelist": "codelist",
    "ConceptScheme": "conceptscheme",
    "DataStructure": "datastructure",
    "CategoryScheme": "categoryscheme",
    "Categorisation": "categorisation",
    "ContentConstraint": "contentconstraint",
    "DataConstraint": "dataconstraint",  # SDMX 3.0
}
CLASSES = {resource: cls for cls, resource in RESOURCES.items()}
CONCEPTS_NAME = "Concepts of the LNOB data commons"
DSD_NAME = "LNOB community-driven data on SDG indicators, by marginalised group"


def stub_url(cls: str, id: str, base_url: str) -> str:
    """Where the full artefact is (a stub's ``structureURL``)."""
    return f"{base_url}/{RESOURCES[cls]}/{model.AGENCY}/{id}/{model.VERSION}"


def _stub(cls: str, package: str, id: str, title: str, base_url: str) -> str:
    """A stub: the artefact's identity and name, and where the full artefact is."""
    url = stub_url(cls, id, base_url)
    values = attrs(
        id=id,
        urn=urn(package, cls, id),
        isExternalReference="true",
        agencyID=model.AGENCY,
        version=model.VERSION,
        structureURL=url,
        isFinal="false",
    )
    return f"<structure:{cls}{values}>{name(title)}</structure:{cls}>"


def _maintainable(cls: str, package: str, id: str) -> str:
    return attrs(
        id=id,
        urn=urn(package, cls, id),
        agencyID=model.AGENCY,
        version=model.VERSION,
        isFinal="false",
    )


def _dataflow(flow: Dataflow) -> str:
    description = name(flow.description, "common:Description") if flow.description else ""
    target = ref(model.DSD_ID, cls="DataStructure", package="datastructure")
    return (
        f"<structure:Dataflow{_maintainable('Dataflow', 'datastructure', flow.id)}>"
        f"{name(flow.name)}{description}"
        f"<structure:Structure>{target}</structure:Structure>"
        "</structure:Dataflow>"
    )


def _codelist(codelist: Codelist) -> str:
    partial = ' isPartial="true"' if codelist.partial else ""
    parts = [
        f"<structure:Codelist{_maintainable('Codelist', 'codelist', codelist.id)}{partial}>",
        name(codelist.name),
    ]
    prefix = f"{URN}.codelist.Code={model.AGENCY}:{codelist.id}({model.VERSION})"
    for code in codelist.codes:
        parent = ""
        if code.parent is not None:
            parent = f'<structure:Parent><Ref id="{code.parent}"/></structure:Parent>'
        parts.append(item("Code", code.id, f"{prefix}.{code.id}", code.name, parent))
    parts.append("</structure:Codelist>")
    return "".join(parts)


MEASURE = model.Component(model.MEASURE, "Observation value", None, "value")
# The text type of the uncoded components (String for the others).
TEXT_TYPES = {model.TIME_DIMENSION: "ObservationalTimePeriod", model.MEASURE: "Double"}


def components() -> list[model.Component]:
    """Every component of DSD_LNOB (a concept each), the measure last."""
    return [*model.DIMENSIONS, model.TIME, *model.ATTRIBUTES, MEASURE]


def _concepts() -> str:
    parts = [
        f"<structure:ConceptScheme"
        f"{_maintainable('ConceptScheme', 'conceptscheme', model.CONCEPT_SCHEME_ID)}>",
        name(CONCEPTS_NAME),
    ]
    prefix = (
        f"{URN}.conceptscheme.Concept={model.AGENCY}:{model.CONCEPT_SCHEME_ID}({model.VERSION})"
    )
    for component in components():
        # A core representation on every concept: sdmx1 reads it for data-set attributes.
        core = _representation(component, TEXT_TYPES.get(component.id, "String"), "Core")
        concept = f"{prefix}.{component.id}"
        parts.append(item("Concept", component.id, concept, component.name, core))
    parts.append("</structure:ConceptScheme>")
    return "".join(parts)


def _identity(component: model.Component) -> str:
    concept = ref(
        component.id,
        cls="Concept",
        package="conceptscheme",
        version=None,
        parent=model.CONCEPT_SCHEME_ID,
        parent_version=model.VERSION,
    )
    return f"<structure:ConceptIdentity>{concept}</structure:ConceptIdentity>"


def _representation(
    component: model.Component, text_type: str = "String", kind: str = "Local"
) -> str:
    if component.codelist is None:
        inner = f'<structure:TextFormat textType="{text_type}"/>'
    else:
        codelist = ref(component.codelist, cls="Codelist", package="codelist")
        inner = f"<structure:Enumeration>{codelist}</structure:Enumeration>"
    return f"<structure:{kind}Representation>{inner}</structure:{kind}Representation>"


def _dsd() -> str:
    parts = [
        f"<structure:DataStructure{_maintainable('DataStructure', 'datastructure', model.DSD_ID)}>",
        name(DSD_NAME),
        "<structure:DataStructureComponents>",
        '<structure:DimensionList id="DimensionDescriptor">',
    ]
    for position, dim in enumerate(model.DIMENSIONS, start=1):
        parts.append(
            f'<structure:Dimension id="{dim.id}" position="{position}">'
            f"{_identity(dim)}{_representation(dim)}</structure:Dimension>"
        )
    time = model.TIME
    parts.append(
        f'<structure:TimeDimension id="{time.id}" position="{model.KEY_LENGTH + 1}">'
        f"{_identity(time)}{_representation(time, 'ObservationalTimePeriod')}"
        "</structure:TimeDimension></structure:DimensionList>"
        '<structure:AttributeList id="AttributeDescriptor">'
    )
    measure_ref = f'<Ref id="{model.MEASURE}"/>'
    for attribute in model.ATTRIBUTES:
        if attribute is model.DATASET:
            relationship = "<structure:None/>"
        else:
            relationship = f"<structure:PrimaryMeasure>{measure_ref}</structure:PrimaryMeasure>"
        parts.append(
            f'<structure:Attribute id="{attribute.id}" assignmentStatus="Conditional">'
            f"{_identity(attribute)}{_representation(attribute)}"
            f"<structure:AttributeRelationship>{relationship}</structure:AttributeRelationship>"
            "</structure:Attribute>"
        )
    parts.append(
        '</structure:AttributeList><structure:MeasureList id="MeasureDescriptor">'
        f'<structure:PrimaryMeasure id="{model.MEASURE}">{_identity(MEASURE)}'
        '<structure:LocalRepresentation><structure:TextFormat textType="Double"/>'
        "</structure:LocalRepresentation></structure:PrimaryMeasure>"
        "</structure:MeasureList></structure:DataStructureComponents></structure:DataStructure>"
    )
    return "".join(parts)


def constraint(found: Availability) -> str:
    """The ContentConstraint (SDMX-ML 2.1) of an availability, with the observation count as
    the annotation ``obs_count`` of type ``sdmx_metrics`` (as the .Stat Suite writes it)."""
    parts = [
        "<structure:ContentConstraint"
        + attrs(
            id=found.id,
            urn=urn("registry", "ContentConstraint", found.id),
            agencyID=model.AGENCY,
            version=model.VERSION,
            isFinal="false",
            type="Actual",
        )
        + ">",
        '<common:Annotations><common:Annotation id="obs_count">'
        f"<common:AnnotationTitle>{found.obs_count}</common:AnnotationTitle>"
        "<common:AnnotationType>sdmx_metrics</common:AnnotationType>"
        "</common:Annotation></common:Annotations>",
        name(f"Availability of {found.flow}"),
        "<structure:ConstraintAttachment><structure:Dataflow>"
        + ref(found.flow, cls="Dataflow", package="datastructure")
        + "</structure:Dataflow></structure:ConstraintAttachment>",
        '<structure:CubeRegion include="true">',
    ]
    for dimension, codes in found.values.items():
        if not codes:
            continue
        listed = "".join(f"<common:Value>{text(c)}</common:Value>" for c in codes)
        parts.append(f'<common:KeyValue id="{dimension}">{listed}</common:KeyValue>')
    if found.time is not None:
        start, end = found.time
        parts.append(
            f'<common:KeyValue id="{model.TIME_DIMENSION}"><common:TimeRange>'
            f'<common:StartPeriod isInclusive="true">{start.isoformat()}</common:StartPeriod>'
            f'<common:EndPeriod isInclusive="true">{end.isoformat()}</common:EndPeriod>'
            "</common:TimeRange></common:KeyValue>"
        )
    parts.append("</structure:CubeRegion></structure:ContentConstraint>")
    return "".join(parts)
