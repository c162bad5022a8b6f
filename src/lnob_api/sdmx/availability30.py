"""The request side of SDMX 3.0 availability queries (``/sdmx/3.0/availability/...``): the
3.0 key and the ``c[...]`` filters, parsed as the 3.0 data queries parse them (``sdmx.v3``),
but kept per component, so that ``mode=available`` can leave a dimension's own filters out of
its codes (``sdmx.availability.available``)."""

from __future__ import annotations

from lnob_api.errors import InvalidInput
from lnob_api.export.filters import Params
from lnob_api.sdmx import model, v3
from lnob_api.sdmx.availability import Filters

COMPONENTS = (*(d.id for d in model.DIMENSIONS), model.TIME_DIMENSION)


def key(raw: str | None) -> str | None:
    """A 3.0 key (``*`` for any code, ``,`` between codes) in the 2.1 form."""
    return v3._key(raw)


def is_filter(name: str) -> bool:
    return v3._FILTER.fullmatch(name) is not None


def filters(params: Params) -> Filters:
    """The ``c[COMPONENT]`` conditions per component; an unknown component is 400."""
    found: Filters = {}
    for name, values in params.items():
        match = v3._FILTER.fullmatch(name)
        if match is None:
            continue
        component = match[1]
        if component not in COMPONENTS:
            raise InvalidInput(name, f"{component} is not a dimension of {model.DSD_ID}")
        found.setdefault(component, []).extend(v3._filter(name, component, v) for v in values)
    return found
