"""The record of the request being served, in a context variable that logs, metrics and spans
read: request id, route, GraphQL operation, principal, status.

The HTTP middleware sets it at the start of a request and fills it in as the request goes; the
GraphQL extension adds the operation. Resolvers and loaders run in tasks that copy the context,
so they see the same record. It is deliberately not reset when the request ends: uvicorn logs an
unhandled error after the application returns, in the same task, and that line should carry the
request id too (each connection's requests run in tasks of their own).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

# Operation names are chosen by clients: logs keep at most this much of one.
MAX_NAME_LENGTH = 100


@dataclass(slots=True)
class RequestInfo:
    request_id: str
    method: str
    path: str
    route: str | None = None
    operation: str | None = None
    operation_type: str | None = None
    status: int | None = None
    started: float = field(default_factory=time.perf_counter)
    # The ASGI scope's state: the authentication middleware puts the principal there.
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def principal(self) -> str | None:
        """``user:<id>``, ``client:<client id>`` or ``anonymous`` once authentication ran."""
        return principal_id(self.state.get("principal"))

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


_CURRENT: ContextVar[RequestInfo | None] = ContextVar("lnob_request", default=None)


def current() -> RequestInfo | None:
    """The request being served in this context, if any."""
    return _CURRENT.get()


def begin(info: RequestInfo) -> None:
    _CURRENT.set(info)


def principal_id(principal: Any) -> str | None:
    """A stable, non-secret id of a principal (never a token or a name)."""
    if principal is None:
        return None
    kind = str(getattr(principal, "kind", "")).lower()
    if kind == "user" and getattr(principal, "user_id", None) is not None:
        return f"user:{principal.user_id}"
    if kind == "client" and getattr(principal, "client_id", None):
        return f"client:{principal.client_id}"
    return "anonymous"


def clean_name(name: str | None) -> str | None:
    """An operation name fit for a log line: printable, at most ``MAX_NAME_LENGTH`` long."""
    if name is None:
        return None
    printable = "".join(c if c.isprintable() else "?" for c in name[:MAX_NAME_LENGTH])
    return printable + ("..." if len(name) > MAX_NAME_LENGTH else "")
