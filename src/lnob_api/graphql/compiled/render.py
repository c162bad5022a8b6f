"""SQL expressions that write JSON text exactly as the Strawberry path's encoder does.

The Strawberry path ends in ``json.dumps(..., separators=(",", ":"))``: compact, keys in
selection order, floats as Python's ``repr``, non-ASCII characters escaped as ``\\uXXXX``.
PostgreSQL's ``json_build_object`` writes ``"k" : v`` and ``jsonb`` sorts keys, so the text is
concatenated here instead, from these pieces. Every expression yields non-null text (``null``
for a missing value). Non-ASCII characters are escaped afterwards in one pass over the bytes
(``ascii_escaped``): JSON's structure is ASCII, so that pass never looks into the document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

Text = ColumnElement[str]

NULL_TEXT = "null"


def lit(text: str) -> Text:
    """A constant piece of JSON text, written into the statement (never user input)."""
    return sa.literal_column("'" + text.replace("'", "''") + "'", sa.Text)


def concat(parts: Sequence[Text]) -> Text:
    """``a || b || ...`` (every part non-null)."""
    out = parts[0]
    for part in parts[1:]:
        out = out.op("||")(part)
    return sa.type_coerce(out, sa.Text)


def obj(members: Sequence[tuple[str, Text]]) -> Text:
    """``{"k":v,...}`` with the keys in the given order."""
    if not members:
        return lit("{}")
    parts: list[Text] = []
    for i, (key, value) in enumerate(members):
        parts.append(lit(("{" if i == 0 else ",") + _key(key)))
        parts.append(value)
    parts.append(lit("}"))
    return concat(_merge(parts))


def _key(name: str) -> str:
    assert re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]*", name), name  # GraphQL names only
    return f'"{name}":'


def _merge(parts: list[Text]) -> list[Text]:
    """Adjacent constants joined (fewer ``||`` for the planner to evaluate)."""
    merged: list[Any] = []
    for part in parts:
        text = _constant(part)
        if text is not None and merged and _constant(merged[-1]) is not None:
            merged[-1] = lit(_constant(merged[-1]) + text)  # type: ignore[operator]
        else:
            merged.append(part)
    return merged


def _constant(part: Any) -> str | None:
    if isinstance(part, sa.sql.elements.ColumnClause) and part.is_literal:
        text = part.name
        if text.startswith("'") and text.endswith("'"):
            return text[1:-1].replace("''", "'")
    return None


def nullable(value: ColumnElement[Any], text: Text) -> Text:
    return sa.type_coerce(sa.func.coalesce(text, lit(NULL_TEXT)), sa.Text)


def string(value: ColumnElement[Any]) -> Text:
    """A JSON string (PostgreSQL escapes quotes, backslashes and control characters as
    ``json.dumps`` does, in lower-case hex)."""
    return nullable(value, sa.cast(sa.func.to_json(sa.cast(value, sa.Text)), sa.Text))


def plain_string(value: ColumnElement[Any]) -> Text:
    """A JSON string of text that holds no character JSON escapes (``fields.PLAIN``): the
    text between quotes, as ``string`` would write it, without ``to_json``'s pass over it."""
    return nullable(value, concat([lit('"'), sa.cast(value, sa.Text), lit('"')]))


def integer(value: ColumnElement[Any]) -> Text:
    return nullable(value, sa.cast(value, sa.Text))


def boolean(value: ColumnElement[Any]) -> Text:
    return sa.type_coerce(
        sa.case(
            (value.is_(True), lit("true")), (value.is_(False), lit("false")), else_=lit("null")
        ),
        sa.Text,
    )


def number(value: ColumnElement[Any]) -> Text:
    """A float8 as Python's ``repr``: PostgreSQL writes the same shortest digits, but ``3``
    where Python writes ``3.0``, and ``1.5e+15`` where Python writes ``1500000000000000.0``
    (Python switches to an exponent from 1e16, PostgreSQL from 1e15).

    The cases are told apart on the number, not on its text, so that PostgreSQL writes the
    text once per value (``float8out``, and ``LIKE`` on it, were most of a page's cost):
    whole and below 1e15 -> the text and ``.0``; from 1e15 below 1e16 -> the digits written
    out; anything else (fractions, exponents, ``NaN``, ``Infinity``: ``NaN`` is above every
    number in PostgreSQL's order) -> the text as it is."""
    double = sa.cast(value, sa.Float(53))
    text = sa.cast(double, sa.Text)
    size = sa.func.abs(double)
    e15 = sa.literal_column("CAST(1e15 AS FLOAT(53))", sa.Float(53))
    e16 = sa.literal_column("CAST(1e16 AS FLOAT(53))", sa.Float(53))
    sign = sa.case((double < 0, lit("-")), else_=lit(""))
    digits = sa.func.replace(
        sa.func.split_part(sa.func.ltrim(text, lit("-")), lit("e"), 1), lit("."), lit("")
    )
    fifteen = concat(
        [
            sign,
            sa.func.rpad(sa.func.left(digits, 16), 16, lit("0")),
            lit("."),
            sa.func.coalesce(sa.func.nullif(sa.func.substr(digits, 17), lit("")), lit("0")),
        ]
    )
    shown = sa.case(
        (sa.and_(size < e15, double == sa.func.trunc(double)), concat([text, lit(".0")])),
        (sa.and_(size >= e15, size < e16), fifteen),
        else_=text,
    )
    return nullable(value, sa.type_coerce(shown, sa.Text))


def date(value: ColumnElement[Any]) -> Text:
    """``date.isoformat()``."""
    return nullable(value, concat([lit('"'), sa.func.to_char(value, "YYYY-MM-DD"), lit('"')]))


def datetime_utc(value: ColumnElement[Any]) -> Text:
    """``datetime.isoformat()`` of an aware UTC datetime, as asyncpg returns timestamptz:
    microseconds only when not zero, ``+00:00``."""
    utc = sa.func.timezone("UTC", value)
    micro = sa.cast(sa.func.extract("microseconds", utc), sa.BigInteger) % 1_000_000
    fraction = sa.case((micro != 0, sa.func.to_char(utc, '"."US')), else_=lit(""))
    return nullable(
        value,
        concat(
            [lit('"'), sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS'), fraction, lit('+00:00"')]
        ),
    )


def enum(value: ColumnElement[Any], kind: type[Enum]) -> Text:
    """A GraphQL enum: its member's name (the stored value may differ)."""
    pairs = [(m.value, m.name) for m in kind]
    if all(str(v) == n for v, n in pairs):
        return string(value)
    whens = [(sa.cast(value, sa.Text) == str(v), lit(f'"{n}"')) for v, n in pairs]
    return sa.type_coerce(sa.case(*whens, else_=lit(NULL_TEXT)), sa.Text)


def base64url(text: Text) -> Text:
    """Unpadded base64url of UTF-8 text (``read.keyset.encode_cursor``'s last step)."""
    raw = sa.func.encode(sa.func.convert_to(text, "UTF8"), "base64")
    return sa.type_coerce(sa.func.rtrim(sa.func.translate(raw, "+/\n", "-_"), "="), sa.Text)


def global_id(type_name: str, key: ColumnElement[Any]) -> Text:
    """``graphql.ids.to_global_id``: standard base64 of ``Type:key``, as a JSON string."""
    raw = sa.func.encode(
        sa.func.convert_to(concat([lit(type_name + ":"), sa.cast(key, sa.Text)]), "UTF8"),
        "base64",
    )
    return concat([lit('"'), sa.func.replace(raw, "\n", ""), lit('"')])


def int_cursor(keys: Sequence[ColumnElement[Any]]) -> Text:
    """``encode_cursor`` of integer order keys: base64url of ``[k1,k2]``."""
    parts: list[Text] = [lit("[")]
    for i, key in enumerate(keys):
        if i:
            parts.append(lit(","))
        parts.append(sa.cast(key, sa.Text))
    parts.append(lit("]"))
    return base64url(concat(parts))


_NON_ASCII = re.compile("[\x7f-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


def ascii_escaped(text: str) -> str:
    """``ensure_ascii`` over JSON text: every character outside ASCII (and DEL) as ``\\uXXXX``,
    surrogate pairs beyond the BMP. Control characters are escaped by PostgreSQL already."""
    if text.isascii() and "\x7f" not in text:
        return text
    return _NON_ASCII.sub(_escape, text)
