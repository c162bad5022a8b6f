"""Persisted documents: a request may name its document by hash instead of sending it.

Two protocols, one store of documents keyed by the SHA-256 of their UTF-8 text:

- the GraphQL-over-HTTP persisted documents appendix: ``documentId`` (``sha256:<64 hex>``)
  in place of ``query``, over GET (query parameter) or POST (JSON member). An unknown id gets a
  GraphQL response holding one error, code ``PERSISTED_DOCUMENT_NOT_FOUND``.
- Apollo's automatic persisted queries (APQ): ``extensions.persistedQuery`` with ``version``
  1 and ``sha256Hash``. Without ``query``, an unknown hash answers ``PersistedQueryNotFound``
  (code ``PERSISTED_QUERY_NOT_FOUND``), and the client sends the query with its hash, which
  registers it once the hash matches (a mismatch is a 400 refusal, nothing registered).

Any document a client sends with a matching hash is registered (the APQ model: this is a
bandwidth and caching aid, not an allow-list), in a bounded per-worker store; a client that
meets another worker simply registers again.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from typing import Any

MAX_DOCUMENTS = 5000
MAX_DOCUMENT_CHARS = 100_000
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PersistedError(Exception):
    """A persisted-document request that cannot be served: message, code, HTTP statuses
    (for ``application/json``, for ``application/graphql-response+json``)."""

    def __init__(self, message: str, code: str, json_status: int, graphql_status: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.json_status = json_status
        self.graphql_status = graphql_status


def _bad(message: str) -> PersistedError:
    return PersistedError(message, "BAD_REQUEST", 400, 400)


def digest(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class Documents:
    """The documents known to this worker, by lower-case hex SHA-256."""

    def __init__(self, limit: int = MAX_DOCUMENTS) -> None:
        self.limit = limit
        self._by_hash: OrderedDict[str, str] = OrderedDict()

    def register(self, document: str) -> str:
        """Remember ``document``; returns its hash."""
        key = digest(document)
        self.remember(key, document)
        return key

    def remember(self, key: str, document: str) -> None:
        """Remember ``document`` under ``key``, its hash (checked by the caller)."""
        if len(document) > MAX_DOCUMENT_CHARS:
            return
        self._by_hash[key] = document
        self._by_hash.move_to_end(key)
        while len(self._by_hash) > self.limit:
            self._by_hash.popitem(last=False)

    def get(self, key: str) -> str | None:
        found = self._by_hash.get(key)
        if found is not None:
            self._by_hash.move_to_end(key)
        return found

    def resolve(self, params: dict[str, Any]) -> None:
        """Fill ``params["query"]`` from ``documentId`` or an APQ hash (in place), registering
        a sent document whose hash matches; raises PersistedError."""
        document_id = params.pop("documentId", None)
        extensions = params.get("extensions")
        apq = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if document_id is not None:
            self._by_document_id(params, document_id)
        elif apq is not None:
            self._by_apq(params, apq)

    def _by_document_id(self, params: dict[str, Any], document_id: object) -> None:
        if params.get("query") is not None:
            raise _bad("send either documentId or query, not both")
        if not isinstance(document_id, str):
            raise _bad("documentId must be a string")
        prefix, _, payload = document_id.partition(":")
        if prefix != "sha256" or not _SHA256.fullmatch(payload):
            raise _bad(
                "documentId must be a SHA256 hex document identifier: 'sha256:' and 64 "
                "lower-case hexadecimal digits"
            )
        found = self.get(payload)
        if found is None:
            raise PersistedError(
                f"no persisted document has the id {document_id!r}: send the document "
                "itself (query), which persists it",
                "PERSISTED_DOCUMENT_NOT_FOUND",
                200,
                404,
            )
        params["query"] = found

    def _by_apq(self, params: dict[str, Any], apq: object) -> None:
        if not isinstance(apq, dict):
            raise _bad("extensions.persistedQuery must be an object")
        if apq.get("version") != 1:
            raise _bad("Unsupported persisted query version: only version 1 is known")
        sha = apq.get("sha256Hash")
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise _bad("extensions.persistedQuery.sha256Hash must be 64 lower-case hex digits")
        query = params.get("query")
        if query is None:
            found = self.get(sha)
            if found is None:
                raise PersistedError(
                    "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 200, 404
                )
            params["query"] = found
            return
        if not isinstance(query, str):
            return  # the view refuses a query that is not a string
        if digest(query) != sha:
            raise _bad("provided sha does not match query")
        self.remember(sha, query)
