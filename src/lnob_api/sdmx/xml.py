"""Small helpers to write SDMX-ML 2.1 as text, element by element (so data can stream)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from lnob_api.sdmx import model

BASE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1"
BASE_30 = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0"
# The SDMX-ML namespaces by prefix, below either version's base (3.0 has no generic data).
_SCHEMAS = {
    "message": "message",
    "common": "common",
    "structure": "structure",
    "ss": "data/structurespecific",
}
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS = {prefix: f"{BASE}/{path}" for prefix, path in _SCHEMAS.items()} | {
    "generic": f"{BASE}/data/generic",
    "xsi": XSI,
    "xml": "http://www.w3.org/XML/1998/namespace",
}
NS_30 = {prefix: f"{BASE_30}/{path}" for prefix, path in _SCHEMAS.items()} | {"xsi": XSI}
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def attrs(**values: str | None) -> str:
    """` name="value"` pairs, escaped; None values are left out; ``_`` in a name becomes ``:``."""
    return "".join(
        f" {name.replace('__', ':')}={quoteattr(value)}"
        for name, value in values.items()
        if value is not None
    )


def text(value: str) -> str:
    return escape(value)


def xmlns(*prefixes: str, version: str = "2.1") -> str:
    names = NS_30 if version == "3.0" else NS
    return "".join(f' xmlns:{p}="{names[p]}"' for p in prefixes)


def header(*, structure: str = "") -> str:
    """``<message:Header>`` with a fresh id, the time prepared and the sender (the agency)."""
    prepared = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return (
        "<message:Header>"
        f"<message:ID>IREF{uuid.uuid4().hex[:16].upper()}</message:ID>"
        "<message:Test>false</message:Test>"
        f"<message:Prepared>{prepared}</message:Prepared>"
        f'<message:Sender id="{model.AGENCY}">'
        f'<common:Name xml:lang="en">{text(model.AGENCY_NAME)}</common:Name>'
        "</message:Sender>"
        f"{structure}"
        "</message:Header>"
    )


def name(value: str, tag: str = "common:Name") -> str:
    return f'<{tag} xml:lang="en">{text(value)}</{tag}>'


def item(tag: str, id: str, urn: str, label: str, inner: str = "") -> str:
    """An item of a scheme (a ``Code``, ``Concept`` or ``Category``): its id and URN, its
    English name, then ``inner`` (a parent, a representation)."""
    return f"<structure:{tag}{attrs(id=id, urn=urn)}>{name(label)}{inner}</structure:{tag}>"


def ref(
    id: str,
    *,
    cls: str,
    package: str,
    version: str | None = model.VERSION,
    parent: str | None = None,
    parent_version: str | None = None,
) -> str:
    """A ``<Ref>`` to an SDMX artefact (or, with ``parent``, to an item in a scheme)."""
    values = attrs(
        id=id,
        agencyID=model.AGENCY,
        version=version,
        maintainableParentID=parent,
        maintainableParentVersion=parent_version,
        package=package,
    )
    return f'<Ref{values} class="{cls}"/>'
