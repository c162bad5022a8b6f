"""Logs as JSON lines (``LNOB_LOG_FORMAT=json``, the default in production) or as text (the
default in development and tests), with the request's context on every line.

Each JSON line has ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
``request_id``, ``route``, ``operation``, ``principal``, ``status`` and ``duration_ms`` (null
when unknown: outside a request, or before the response), plus ``exception`` with the traceback.
uvicorn's access log is replaced by ``lnob_api.access``: one line per request once its response
has ended, with the method and path (never the query string), status and duration.

What is never logged: tokens, passwords, cookies, authorization headers and observation values.
The service never passes them to a logger; as a second line, a filter blanks anything shaped
like a bearer token, a JWT or a ``password=`` pair in every message and traceback, and SQL
errors are logged without their parameters (the engine hides them).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from lnob_api.config import Settings
from lnob_api.observability import request

ACCESS_LOGGER = "lnob_api.access"
# One logger object per name for the process: looked up once (getLogger takes a lock).
_ACCESS = logging.getLogger(ACCESS_LOGGER)
_REDACTED = "[redacted]"
_SECRETS = (
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # a JWT
    re.compile(
        r"(?i)\b(password|passwd|secret|client_secret|token|access_token|refresh_token|code_verifier)"
        r"(['\"]?\s*[=:]\s*['\"]?)[^\s&'\",}]+"
    ),
)


def scrub(text: str) -> str:
    """``text`` with anything shaped like a credential blanked."""
    text = _SECRETS[0].sub(lambda m: f"{m.group(1)} {_REDACTED}", text)
    text = _SECRETS[1].sub(_REDACTED, text)
    return _SECRETS[2].sub(lambda m: f"{m.group(1)}{m.group(2)}{_REDACTED}", text)


def _context(record: logging.LogRecord) -> dict[str, Any]:
    info = request.current()
    status = getattr(record, "status", None)
    duration = getattr(record, "duration_ms", None)
    if info is None:
        return {
            "request_id": None,
            "route": None,
            "operation": None,
            "principal": None,
            "status": status,
            "duration_ms": duration,
        }
    return {
        "request_id": info.request_id,
        "route": info.route,
        "operation": info.operation,
        "principal": info.principal,
        "status": status if status is not None else info.status,
        "duration_ms": duration,
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        line |= _context(record)
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = scrub(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = scrub(super().format(record))
        info = request.current()
        if info is not None:
            principal = info.principal
            text += f" [request {info.request_id}" + (f" {principal}" if principal else "") + "]"
        return text

    def formatException(self, ei: Any) -> str:
        return scrub(super().formatException(ei))


def json_formatter() -> logging.Formatter:
    """The JSON formatter for ``dictConfig``; Python's warnings go through logging too, so
    that they are JSON lines as well."""
    logging.captureWarnings(True)
    return JsonFormatter()


def text_formatter() -> logging.Formatter:
    logging.captureWarnings(True)
    return TextFormatter()


def log_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn (``log_config=``): every logger of the service
    and uvicorn's error log to stderr in the configured format; uvicorn's access log off (the
    service writes its own)."""
    factory = json_formatter if settings.log_format == "json" else text_formatter
    level = "DEBUG" if settings.log_level in ("debug", "trace") else settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"lnob": {"()": f"{factory.__module__}.{factory.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "lnob",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "lnob_api": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def configure(settings: Settings) -> None:
    """Apply ``log_config`` in this process (commands other than ``serve``)."""
    import logging.config

    logging.config.dictConfig(log_config(settings))


def access(info: request.RequestInfo, status: int, seconds: float) -> None:
    """The access line of one request."""
    logger = _ACCESS
    if logger.isEnabledFor(logging.INFO):
        logger.info(
            "%s %s %s",
            info.method,
            info.path,
            status,
            extra={"status": status, "duration_ms": round(seconds * 1000, 3)},
        )


def announce(settings: Settings, message: object) -> None:
    """What a command always shows (``serve``'s banner, the seed report) whatever the log
    level: a plain line on stderr, or a JSON line in the JSON format."""
    text = str(message)
    if settings.log_format == "json":
        record = logging.LogRecord("lnob_api.serve", logging.INFO, __file__, 0, text, None, None)
        text = JsonFormatter().format(record)
    print(text, file=sys.stderr, flush=True)
