"""Small helpers to write SDMX-ML 2.1 as text, element by element (so data can stream)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from lnob_api.sdmx import model

BASE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1"
NS = {
    "message": f"{BASE}/message",
    "common": f"{BASE}/common",
    "structure": f"{BASE}/structure",
    "ss": f"{BASE}/data/structurespecific",
    "generic": f"{BASE}/data/generic",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
BASE_30 = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0"
NS_30 = {
    "message": f"{BASE_30}/message",
    "common": f"{BASE_30}/common",
    "ss": f"{BASE_30}/data/structurespecific",
    "structure": f"{BASE_30}/structure",
    "xsi": NS["xsi"],
}
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
