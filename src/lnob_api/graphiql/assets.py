"""GraphiQL's browser files: served from the vendored copy, or pinned on the CDN when absent.

Vendored files (``python -m lnob_api.graphiql.vendor``) are served under ``ASSETS_PATH`` with the
same relative paths as on the CDN. Only the manifest's files are served, with a year of
caching: each path names an exact package version, so its content never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from lnob_api.graphiql import vendor
from lnob_api.graphiql.vendor import AssetFile, Manifest

ASSETS_PATH = "/graphiql/assets"
_MEDIA_TYPES = {"script": "text/javascript; charset=utf-8", "style": "text/css; charset=utf-8"}
_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True, slots=True)
class PageAsset:
    """A ``<script>`` or stylesheet of the page: where it loads from and its SRI hash."""

    kind: Literal["script", "style"]
    url: str
    integrity: str
    local: bool


class Assets:
    """The manifest's files and the folder they are vendored into."""

    def __init__(self, directory: Path | None = None, manifest: Manifest | None = None) -> None:
        self.directory = directory if directory is not None else vendor.DEFAULT_DEST
        self.manifest = manifest or vendor.load_manifest()
        self._by_key = {f.key: f for f in self.manifest.files}

    @property
    def cdn_origin(self) -> str:
        parts = urlsplit(self.manifest.cdn)
        return f"{parts.scheme}://{parts.netloc}"

    def local_file(self, file: AssetFile) -> Path | None:
        path = self.directory / file.key
        return path if path.is_file() else None

    def page_assets(self) -> list[PageAsset]:
        """The page's files in load order, each local when vendored, else on the CDN.

        Presence is checked on every call (a few ``stat`` calls), so files vendored while
        the server runs are picked up; their hashes were checked when they were written.
        """
        return [
            PageAsset(
                kind=file.kind,
                url=(
                    f"{ASSETS_PATH}/{file.key}"
                    if self.local_file(file) is not None
                    else f"{self.manifest.cdn}/{file.key}"
                ),
                integrity=file.integrity,
                local=self.local_file(file) is not None,
            )
            for file in self.manifest.files
            if file.page
        ]

    async def serve(self, request: Request) -> Response:
        """``GET {ASSETS_PATH}/{key}``: one vendored file of the manifest, else 404."""
        file = self._by_key.get(request.path_params["key"])
        path = self.local_file(file) if file is not None else None
        if file is None or path is None:
            return PlainTextResponse("Not found", status_code=404, headers=_HEADERS_404)
        return FileResponse(path, media_type=_MEDIA_TYPES[file.kind], headers=_HEADERS)

    def route(self) -> Route:
        return Route(f"{ASSETS_PATH}/{{key:path}}", self.serve, methods=["GET", "HEAD"])


_HEADERS_404 = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
