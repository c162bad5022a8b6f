"""How a shown output is compared with what the server answers.

Both sides are normalised first: the values that differ on every run (tokens, client ids
and secrets, authorization codes, request ids and ETags, key ids, timestamps of the run, HTTP dates) become
placeholders such as ``<jwt>``. Then:

- **JSON**: a response's `extensions` (its cost) are left out unless shown; a shown object lists the keys that must be there with equal values; an object
  holding ``"...": "..."`` may have more keys, any other must have exactly those. A shown
  list must have the same length, unless its last item is ``"..."``: then the shown items are
  the first ones. The string ``"..."`` matches any value. A shown document without a
  ``data`` or ``errors`` key is an excerpt: it must match some value inside the response;
- **text**: the shown lines are split at lines holding only ``...``; each run of lines must
  appear whole, in order, the first at the start and the last at the end unless a ``...``
  stands before or after it. A line ending in ``...`` matches any line starting with what
  comes before it.
"""

from __future__ import annotations

import json
import re
from typing import Any

ELLIPSIS = "..."
# values that are new on every run, on both sides, in this order
VOLATILE = (
    (re.compile(r"eyJ[\w-]+(?:\.[\w-]*){0,2}(?:\.\.\.)?"), "<jwt>"),
    (re.compile(r"\blnob_[A-Za-z0-9_-]{16,}"), "<client-id>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<hex>"),
    (re.compile(r"\b\d{8}-[0-9a-f]{8}\b"), "<kid>"),
    (
        re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\.\d+(?:Z|[+-]\d\d:\d\d)?"),
        "<timestamp>",
    ),
    (re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\b"), "<utc-time>"),
    (re.compile(r'"prepared": "[^"]+"'), '"prepared": "<timestamp>"'),
    (re.compile(r'"id": "IREF[0-9A-F]+"'), '"id": "<message-id>"'),
    (
        re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT"),
        "<http-date>",
    ),
    (re.compile(r"\(in \d+ s\)"), "(in <n> s)"),
    (re.compile(r"([?&]code=)[\w-]+"), r"\1<code>"),
    (re.compile(r'("(?:client_secret|refresh_token)": ?")[^"]+"'), r'\1<secret>"'),
)
# keys whose values are new on every run (secrets, times of the run)
VOLATILE_KEYS = {
    "access_token",
    "refresh_token",
    "client_secret",
    "requestId",
    "occurredAt",
    "createdAt",
    "updatedAt",
    "readAt",
    "decidedAt",
    "publishedAt",
    "supersededAt",
    "retractedAt",
    "withdrawnAt",
    "removedAt",
    "validatedAt",
}


def normalise(text: str) -> str:
    for pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    return text


def _normalised_json(value: Any, key: str | None = None) -> Any:
    if key in VOLATILE_KEYS and value is not None and value != ELLIPSIS:
        return "<volatile>"
    if isinstance(value, dict):
        return {k: _normalised_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised_json(v) for v in value]
    if isinstance(value, str):
        return normalise(value)
    return value


def json_mismatch(shown: Any, actual: Any, path: str = "$") -> str | None:
    """Why ``actual`` does not match the ``shown`` pattern, or None when it does."""
    if shown == ELLIPSIS:
        return None
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {json.dumps(actual)[:200]}"
        open_ended = shown.get(ELLIPSIS) == ELLIPSIS
        keys = [k for k in shown if k != ELLIPSIS]
        for k in keys:
            if k not in actual:
                return f"{path}: no key {k!r} in {sorted(actual)}"
            problem = json_mismatch(shown[k], actual[k], f"{path}.{k}")
            if problem:
                return problem
        extra = set(actual) - set(keys)
        if extra and not open_ended:
            return f'{path}: keys not shown {sorted(extra)} (add "...": "..." to allow them)'
        return None
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return f"{path}: expected a list, got {json.dumps(actual)[:200]}"
        prefix = bool(shown) and shown[-1] == ELLIPSIS
        items = shown[:-1] if prefix else shown
        if len(actual) < len(items) or (not prefix and len(actual) != len(items)):
            return f"{path}: {len(actual)} items, shown {len(items)}{'+' if prefix else ''}"
        for n, item in enumerate(items):
            problem = json_mismatch(item, actual[n], f"{path}[{n}]")
            if problem:
                return problem
        return None
    if shown != actual:
        return f"{path}: shown {json.dumps(shown)}, got {json.dumps(actual)}"
    return None


def _values(actual: Any) -> list[Any]:
    found = [actual]
    if isinstance(actual, dict):
        for value in actual.values():
            found.extend(_values(value))
    elif isinstance(actual, list):
        for value in actual:
            found.extend(_values(value))
    return found


def compare_json(shown_text: str, actual: Any) -> str | None:
    shown = _normalised_json(json.loads(shown_text))
    actual = _normalised_json(actual)
    if isinstance(shown, dict) and {"data", "errors"} & set(shown):
        if isinstance(actual, dict) and "extensions" not in shown:
            # every response says what it cost; a page shows that only where it is the point
            actual = {k: v for k, v in actual.items() if k != "extensions"}
        return json_mismatch(shown, actual)
    first = json_mismatch(shown, actual)
    if first is None:
        return None
    for value in _values(actual):
        if json_mismatch(shown, value) is None:
            return None
    return f"the excerpt matches no value of the response ({first})"


def _line_matches(shown: str, actual: str) -> bool:
    if shown.endswith(ELLIPSIS) and shown != ELLIPSIS:
        return actual.startswith(shown[: -len(ELLIPSIS)])
    return shown == actual


def compare_text(shown_text: str, actual_text: str) -> str | None:
    shown = [line.rstrip() for line in normalise(shown_text).strip("\n").splitlines()]
    actual = [line.rstrip() for line in normalise(actual_text).strip("\n").splitlines()]
    runs: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == ELLIPSIS:
            runs.append([])
        else:
            runs[-1].append(line)
    anchored_start, anchored_end = bool(runs[0]), bool(runs[-1])
    runs = [run for run in runs if run]
    position = 0
    for n, run in enumerate(runs):
        found = None
        last_start = len(actual) - len(run)
        starts = [position] if (n == 0 and anchored_start) else range(position, last_start + 1)
        for start in starts:
            if start <= last_start and all(
                _line_matches(s, a)
                for s, a in zip(run, actual[start : start + len(run)], strict=True)
            ):
                found = start
                break
        if found is None:
            return f"shown lines not found in order: {run[:3]}\n--- got:\n" + "\n".join(actual[:40])
        position = found + len(run)
    if anchored_end and runs and position != len(actual):
        return "the output goes on after the shown lines:\n" + "\n".join(actual[position:][:10])
    return None
