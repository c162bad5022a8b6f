"""SDMX-ML 3.0 structure messages (``/sdmx/3.0/structure/...``): the same artefacts as the 2.1
structure messages (``sdmx.structure``), in SDMX 3.0 form: references are URNs, DSD_LNOB has a
measure list with OBS_VALUE, attributes state their relationship (observation, or dataflow for
DATASET), and maintainable artefacts carry no ``isFinal``. Artefacts come in the order of the
3.0 schema (categorisations, category schemes, code lists, concept schemes, data constraints,
dataflows, DSDs). Stubs (``detail=...stubs``) name their full artefact by ``structureURL``.
"""

from __future__ import annotations

from lnob_api.sdmx import categories, model
from lnob_api.sdmx.structure import (
    CODELIST_NAMES,
    CONCEPTS_NAME,
    DSD_NAME,
    MEASURE,
    TEXT_TYPES,
    Availability,
    Codelist,
    Dataflow,
    Structures,
    components,
    stub_url,
    urn,
)
from lnob_api.sdmx.xml import DECLARATION, attrs, header, item, name, text, xmlns

MEDIA_TYPE = "application/vnd.sdmx.structure+xml; version=3.0.0"
# Where each class goes in the message, in the order of the 3.0 schema.
CONTAINERS = (
    ("Categorisation", "Categorisations"),
    ("CategoryScheme", "CategorySchemes"),
    ("Codelist", "Codelists"),
    ("ConceptScheme", "ConceptSchemes"),
    ("DataConstraint", "DataConstraints"),
    ("Dataflow", "Dataflows"),
    ("DataStructure", "DataStructures"),
)


class _Stubs:
    """Which classes are written as stubs (their identity, name and ``structureURL`` only)."""

    def __init__(self, found: Structures) -> None:
        self.classes = found.stubs
        self.base_url = found.base_url

    def __call__(self, cls: str) -> bool:
        return cls in self.classes

    def open(self, package: str, cls: str, id: str, title: str, **extra: str) -> str:
        """The opening tag and name of a maintainable artefact; a whole stub when it is one."""
        values = dict(id=id, urn=urn(package, cls, id), agencyID=model.AGENCY)
        values["version"] = model.VERSION
        values |= extra
        if self(cls):
            values["isExternalReference"] = "true"
            values["structureURL"] = stub_url(cls, id, self.base_url)
            return f"<structure:{cls}{attrs(**values)}>{name(title)}</structure:{cls}>"
        return f"<structure:{cls}{attrs(**values)}>{name(title)}"


def message(found: Structures) -> bytes:
    stubs = _Stubs(found)
    written: dict[str, list[str]] = {cls: [] for cls, _ in CONTAINERS}
    written["Categorisation"] = [_categorisation(c, stubs) for c in found.categorisations]
    if found.categories is not None:
        written["CategoryScheme"] = [_scheme(found.categories, stubs)]
    written["Codelist"] = [_codelist(c, stubs) for c in found.codelists]
    if found.concepts:
        written["ConceptScheme"] = [_concepts(stubs)]
    written["DataConstraint"] = [_constraint(c, stubs) for c in found.constraints]
    written["Dataflow"] = [_dataflow(f, stubs) for f in found.dataflows]
    if found.datastructure:
        written["DataStructure"] = [_dsd(stubs)]
    names = ("message", "common", "structure", "xsi")
    parts = [DECLARATION, f"<message:Structure{xmlns(*names, version='3.0')}>", header()]
    parts.append("<message:Structures>")
    for cls, container in CONTAINERS:
        if written[cls]:
            parts.append(f"<structure:{container}>{''.join(written[cls])}</structure:{container}>")
    parts.append("</message:Structures></message:Structure>")
    return "".join(parts).encode()


def _dataflow(flow: Dataflow, stubs: _Stubs) -> str:
    opened = stubs.open("datastructure", "Dataflow", flow.id, flow.name)
    if stubs("Dataflow"):
        return opened
    description = name(flow.description, "common:Description") if flow.description else ""
    dsd = urn("datastructure", "DataStructure", model.DSD_ID)
    return (
        f"{opened}{description}<structure:Structure>{dsd}</structure:Structure>"
        "</structure:Dataflow>"
    )


def _codelist(codelist: Codelist, stubs: _Stubs) -> str:
    title = codelist.name or CODELIST_NAMES.get(codelist.id, codelist.id)
    extra = {"isPartial": "true"} if codelist.partial else {}
    parts = [stubs.open("codelist", "Codelist", codelist.id, title, **extra)]
    if stubs("Codelist"):
        return parts[0]
    for code in codelist.codes:
        parent = f"<structure:Parent>{text(code.parent)}</structure:Parent>" if code.parent else ""
        code_urn = urn("codelist", "Code", codelist.id, code.id)
        parts.append(item("Code", code.id, code_urn, code.name, parent))
    parts.append("</structure:Codelist>")
    return "".join(parts)


def _text_format(component: model.Component) -> str:
    return f'<structure:TextFormat textType="{TEXT_TYPES.get(component.id, "String")}"/>'


def _concepts(stubs: _Stubs) -> str:
    id = model.CONCEPT_SCHEME_ID
    parts = [stubs.open("conceptscheme", "ConceptScheme", id, CONCEPTS_NAME)]
    if stubs("ConceptScheme"):
        return parts[0]
    for component in components():
        core = _text_format(component)
        core = f"<structure:CoreRepresentation>{core}</structure:CoreRepresentation>"
        concept = urn("conceptscheme", "Concept", id, component.id)
        parts.append(item("Concept", component.id, concept, component.name, core))
    parts.append("</structure:ConceptScheme>")
    return "".join(parts)


def _identity(component: model.Component) -> str:
    concept = urn("conceptscheme", "Concept", model.CONCEPT_SCHEME_ID, component.id)
    return f"<structure:ConceptIdentity>{concept}</structure:ConceptIdentity>"


def _representation(component: model.Component) -> str:
    if component.codelist is None:
        inner = _text_format(component)
    else:
        codelist = urn("codelist", "Codelist", component.codelist)
        inner = f"<structure:Enumeration>{codelist}</structure:Enumeration>"
    return f"<structure:LocalRepresentation>{inner}</structure:LocalRepresentation>"


def _dsd(stubs: _Stubs) -> str:
    opened = stubs.open("datastructure", "DataStructure", model.DSD_ID, DSD_NAME)
    if stubs("DataStructure"):
        return opened
    parts = [
        opened,
        '<structure:DataStructureComponents><structure:DimensionList id="DimensionDescriptor">',
    ]
    for position, dim in enumerate(model.DIMENSIONS, start=1):
        parts.append(
            f'<structure:Dimension id="{dim.id}" position="{position}">'
            f"{_identity(dim)}{_representation(dim)}</structure:Dimension>"
        )
    parts.append(
        f'<structure:TimeDimension id="{model.TIME_DIMENSION}">{_identity(model.TIME)}'
        f"{_representation(model.TIME)}</structure:TimeDimension></structure:DimensionList>"
        '<structure:AttributeList id="AttributeDescriptor">'
    )
    for attribute in model.ATTRIBUTES:
        level = "Dataflow" if attribute is model.DATASET else "Observation"
        parts.append(
            f'<structure:Attribute id="{attribute.id}" usage="optional">'
            f"{_identity(attribute)}{_representation(attribute)}"
            f"<structure:AttributeRelationship><structure:{level}/></structure:AttributeRelationship>"
            "</structure:Attribute>"
        )
    parts.append(
        '</structure:AttributeList><structure:MeasureList id="MeasureDescriptor">'
        f'<structure:Measure id="{model.MEASURE}">{_identity(MEASURE)}'
        f"{_representation(MEASURE)}</structure:Measure></structure:MeasureList>"
        "</structure:DataStructureComponents></structure:DataStructure>"
    )
    return "".join(parts)


def _scheme(goals: list[model.Item], stubs: _Stubs) -> str:
    id = categories.SCHEME_ID
    parts = [stubs.open("categoryscheme", "CategoryScheme", id, categories.SCHEME_NAME)]
    if stubs("CategoryScheme"):
        return parts[0]
    for goal in goals:
        category = urn("categoryscheme", "Category", id, goal.id)
        parts.append(item("Category", goal.id, category, goal.name))
    parts.append("</structure:CategoryScheme>")
    return "".join(parts)


def _categorisation(found: categories.Categorisation, stubs: _Stubs) -> str:
    title = f"{found.flow} in SDG goal {found.goal}"
    opened = stubs.open("categoryscheme", "Categorisation", found.id, title)
    if stubs("Categorisation"):
        return opened
    source = urn("datastructure", "Dataflow", found.flow)
    target = urn("categoryscheme", "Category", categories.SCHEME_ID, found.goal)
    return (
        f"{opened}<structure:Source>{source}</structure:Source>"
        f"<structure:Target>{target}</structure:Target></structure:Categorisation>"
    )


def _constraint(found: Availability, stubs: _Stubs) -> str:
    """The DataConstraint (role Actual) of an availability, ``obs_count`` annotated."""
    title = f"Availability of {found.flow}"
    if stubs("DataConstraint"):
        return stubs.open("registry", "DataConstraint", found.id, title, role="Actual")
    values = attrs(id=found.id, urn=urn("registry", "DataConstraint", found.id))
    parts = [
        f'<structure:DataConstraint{values} agencyID="{model.AGENCY}" version="{model.VERSION}"'
        ' role="Actual">',
        '<common:Annotations><common:Annotation id="obs_count">'
        f"<common:AnnotationTitle>{found.obs_count}</common:AnnotationTitle>"
        "<common:AnnotationType>sdmx_metrics</common:AnnotationType>"
        "</common:Annotation></common:Annotations>",
        name(title),
        "<structure:ConstraintAttachment><structure:Dataflow>"
        f"{urn('datastructure', 'Dataflow', found.flow)}"
        "</structure:Dataflow></structure:ConstraintAttachment>",
        '<structure:CubeRegion include="true">',
    ]
    for dimension, codes in found.values.items():
        if codes:
            listed = "".join(f"<structure:Value>{text(c)}</structure:Value>" for c in codes)
            parts.append(f'<structure:KeyValue id="{dimension}">{listed}</structure:KeyValue>')
    if found.time is not None:
        start, end = (d.isoformat() for d in found.time)
        parts.append(
            f'<structure:KeyValue id="{model.TIME_DIMENSION}"><structure:TimeRange>'
            f'<structure:StartPeriod isInclusive="true">{start}</structure:StartPeriod>'
            f'<structure:EndPeriod isInclusive="true">{end}</structure:EndPeriod>'
            "</structure:TimeRange></structure:KeyValue>"
        )
    parts.append("</structure:CubeRegion></structure:DataConstraint>")
    return "".join(parts)
