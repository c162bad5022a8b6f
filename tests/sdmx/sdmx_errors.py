"""Reading the SDMX error messages of the service in tests."""

from __future__ import annotations

import httpx
from lxml import etree

MESSAGE = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}"
COMMON = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common}"
CODES = {400: 140, 404: 100, 406: 406, 413: 130, 500: 500, 501: 501, 503: 503}


def error_of(response: httpx.Response) -> tuple[int, str]:
    """(SDMX error code, message text) of an SDMX-ML or SDMX-JSON error message."""
    if response.headers["content-type"].startswith("application/json"):
        error = response.json()["errors"][0]
        return int(error["code"]), str(error["detail"])
    assert response.headers["content-type"].startswith("application/xml"), response.headers
    root = etree.fromstring(response.content)
    assert root.tag == f"{MESSAGE}Error"
    found = root.find(f"{MESSAGE}ErrorMessage")
    assert found is not None
    return int(found.get("code") or 0), found.findtext(f"{COMMON}Text") or ""
