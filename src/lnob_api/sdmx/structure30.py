"""SDMX-ML 3.0 structure messages (``/sdmx/3.0/structure/...``): the same artefacts as the 2.1
structure messages (``sdmx.structure``), in SDMX 3.0 form: references are URNs, DSD_LNOB has a
measure list with OBS_VALUE, attributes state their relationship (observation, or dataflow for
DATASET), and maintainable artefacts carry no ``isFinal``. Artefacts come in the order of the
3.0 schema (categorisations, category schemes, code lists, concept schemes, dataflows, DSDs).
"""

from __future__ import annotations

from lnob_api.sdmx import categories, model
from lnob_api.sdmx.structure import (
    CODELIST_NAMES,
    CONCEPTS_NAME,
    DSD_NAME,
    URN,
    Codelist,
    Dataflow,
    Structures,
)
from lnob_api.sdmx.xml import DECLARATION, NS_30, attrs, header, name, text

MEDIA_TYPE = "application/vnd.sdmx.structure+xml; version=3.0.0"
_MEASURE = model.Component(model.MEASURE, "Observation value", None, "value")


def _urn(package: str, cls: str, id: str) -> str:
    return f"{URN}.{package}.{cls}={model.AGENCY}:{id}({model.VERSION})"


def _maintainable(package: str, cls: str, id: str) -> str:
    return attrs(id=id, urn=_urn(package, cls, id), agencyID=model.AGENCY, version=model.VERSION)


def message(found: Structures) -> bytes:
    xmlns = "".join(f' xmlns:{p}="{NS_30[p]}"' for p in ("message", "common", "structure", "xsi"))
    parts = [DECLARATION, f"<message:Structure{xmlns}>", header(), "<message:Structures>"]
    if found.categorisations:
        parts.append("<structure:Categorisations>")
        parts.extend(_categorisation(c) for c in found.categorisations)
        parts.append("</structure:Categorisations>")
    if found.categories is not None:
        parts.append(
            f"<structure:CategorySchemes>{_scheme(found.categories)}</structure:CategorySchemes>"
        )
    if found.codelists:
        parts.append("<structure:Codelists>")
        parts.extend(_codelist(c) for c in found.codelists)
        parts.append("</structure:Codelists>")
    if found.concepts:
        parts.append(f"<structure:ConceptSchemes>{_concepts()}</structure:ConceptSchemes>")
    if found.dataflows:
        parts.append("<structure:Dataflows>")
        parts.extend(_dataflow(f) for f in found.dataflows)
        parts.append("</structure:Dataflows>")
    if found.datastructure:
        parts.append(f"<structure:DataStructures>{_dsd()}</structure:DataStructures>")
    parts.append("</message:Structures></message:Structure>")
    return "".join(parts).encode()


def _dataflow(flow: Dataflow) -> str:
    description = name(flow.description, "common:Description") if flow.description else ""
    dsd = _urn("datastructure", "DataStructure", model.DSD_ID)
    return (
        f"<structure:Dataflow{_maintainable('datastructure', 'Dataflow', flow.id)}>"
        f"{name(flow.name)}{description}<structure:Structure>{dsd}</structure:Structure>"
        "</structure:Dataflow>"
    )


def _codelist(codelist: Codelist) -> str:
    parts = [
        f"<structure:Codelist{_maintainable('codelist', 'Codelist', codelist.id)}>",
        name(codelist.name or CODELIST_NAMES.get(codelist.id, codelist.id)),
    ]
    prefix = _urn("codelist", "Code", codelist.id)
    for code in codelist.codes:
        parent = f"<structure:Parent>{text(code.parent)}</structure:Parent>" if code.parent else ""
        parts.append(
            f"<structure:Code{attrs(id=code.id, urn=f'{prefix}.{code.id}')}>"
            f"{name(code.name)}{parent}</structure:Code>"
        )
    parts.append("</structure:Codelist>")
    return "".join(parts)


def _text_format(component: model.Component) -> str:
    kind = {model.TIME_DIMENSION: "ObservationalTimePeriod", model.MEASURE: "Double"}
    return f'<structure:TextFormat textType="{kind.get(component.id, "String")}"/>'


def _components() -> list[model.Component]:
    return [*model.DIMENSIONS, model.TIME, *model.ATTRIBUTES, _MEASURE]


def _concepts() -> str:
    id = model.CONCEPT_SCHEME_ID
    parts = [f"<structure:ConceptScheme{_maintainable('conceptscheme', 'ConceptScheme', id)}>"]
    parts.append(name(CONCEPTS_NAME))
    prefix = _urn("conceptscheme", "ConceptScheme", id).replace("ConceptScheme=", "Concept=")
    for component in _components():
        core = _text_format(component)
        core = f"<structure:CoreRepresentation>{core}</structure:CoreRepresentation>"
        parts.append(
            f"<structure:Concept{attrs(id=component.id, urn=f'{prefix}.{component.id}')}>"
            f"{name(component.name)}{core}</structure:Concept>"
        )
    parts.append("</structure:ConceptScheme>")
    return "".join(parts)


def _identity(component: model.Component) -> str:
    scheme = _urn("conceptscheme", "ConceptScheme", model.CONCEPT_SCHEME_ID)
    concept = scheme.replace("ConceptScheme=", "Concept=") + f".{component.id}"
    return f"<structure:ConceptIdentity>{concept}</structure:ConceptIdentity>"


def _representation(component: model.Component) -> str:
    if component.codelist is None:
        inner = _text_format(component)
    else:
        codelist = _urn("codelist", "Codelist", component.codelist)
        inner = f"<structure:Enumeration>{codelist}</structure:Enumeration>"
    return f"<structure:LocalRepresentation>{inner}</structure:LocalRepresentation>"


def _dsd() -> str:
    parts = [
        f"<structure:DataStructure{_maintainable('datastructure', 'DataStructure', model.DSD_ID)}>",
        name(DSD_NAME),
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
        f'<structure:Measure id="{model.MEASURE}">{_identity(_MEASURE)}'
        f"{_representation(_MEASURE)}</structure:Measure></structure:MeasureList>"
        "</structure:DataStructureComponents></structure:DataStructure>"
    )
    return "".join(parts)


def _scheme(goals: list[categories.Category]) -> str:
    id = categories.SCHEME_ID
    parts = [f"<structure:CategoryScheme{_maintainable('categoryscheme', 'CategoryScheme', id)}>"]
    parts.append(name(categories.SCHEME_NAME))
    prefix = _urn("categoryscheme", "CategoryScheme", id).replace("CategoryScheme=", "Category=")
    for goal in goals:
        parts.append(
            f"<structure:Category{attrs(id=goal.id, urn=f'{prefix}.{goal.id}')}>"
            f"{name(goal.name)}</structure:Category>"
        )
    parts.append("</structure:CategoryScheme>")
    return "".join(parts)


def _categorisation(found: categories.Categorisation) -> str:
    scheme = _urn("categoryscheme", "CategoryScheme", categories.SCHEME_ID)
    target = scheme.replace("CategoryScheme=", "Category=") + f".{found.goal}"
    return (
        f"<structure:Categorisation{_maintainable('categoryscheme', 'Categorisation', found.id)}>"
        f"{name(f'{found.flow} in SDG goal {found.goal}')}"
        f"<structure:Source>{_urn('datastructure', 'Dataflow', found.flow)}</structure:Source>"
        f"<structure:Target>{target}</structure:Target></structure:Categorisation>"
    )
