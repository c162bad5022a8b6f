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
from sqlalchemy.dialects import postgresql
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
    (Python switches to an exponent from 1e16, PostgreSQL from 1e15); and from 1e16, where
    Python writes a shorter number halfway to a neighbour, ``_halfway`` finds it.

    The cases are told apart on the number, not on its text, so that PostgreSQL writes the
    text once per value (``float8out``, and ``LIKE`` on it, were most of a page's cost):
    whole and below 1e15 -> the text and ``.0``; from 1e15 below 1e16 -> the digits written
    out; finite from 1e16 -> ``_halfway``'s digits, else the text; anything else (fractions,
    ``NaN``, ``Infinity``: ``NaN`` is above every number in PostgreSQL's order) -> the text
    as it is.

    Its cost is small: at 1M rows (``bench.statement_ab``, 12 interleaved rounds) W2b's
    backend CPU per request was 0.96-0.98x with a plain ``CAST(value AS text)`` instead, and
    0.95x with no formatting at all (the value still computed); not writing the value (so
    not computing the scoped select's masked value either) gave 0.83x. A serial scan of 1M
    values costs about the same with this expression as with the plain cast."""
    double = sa.cast(value, sa.Float(53))
    text = sa.cast(double, sa.Text)
    size = sa.func.abs(double)
    e15 = sa.literal_column("CAST(1e15 AS FLOAT(53))", sa.Float(53))
    e16 = sa.literal_column("CAST(1e16 AS FLOAT(53))", sa.Float(53))
    infinity = sa.literal_column("CAST('Infinity' AS FLOAT(53))", sa.Float(53))
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
        (
            size < e15,
            sa.case((double == sa.func.trunc(double), concat([text, lit(".0")])), else_=text),
        ),
        (size < e16, fifteen),
        (size < infinity, sa.func.coalesce(concat([sign, _halfway(size)]), text)),
        else_=text,
    )
    return nullable(value, sa.type_coerce(shown, sa.Text))


def _halfway(size: ColumnElement[float]) -> Text:
    """Python's ``repr`` of a float8 from 1e16 (``size``, not negative) where it is shorter
    than PostgreSQL's text, else null (``2.004928496331501e+16`` for PostgreSQL's
    ``2.0049284963315008e+16``, ``1e+23`` for ``9.999999999999999e+22``).

    Both write the shortest digits that read back as the number, but PostgreSQL's Ryu is
    built without ``STRICTLY_SHORTEST`` (``src/common/d2s.c``): it never writes a number
    halfway to a neighbour, which reads back as this one when its last bit is 0 (round half
    to even), and Python does. Such a number has fewer digits only among whole numbers of 17
    digits or more, so only from 1e16 (in fact below 1e39). When it is shorter, it is one of
    the two numbers of one digit less than PostgreSQL's text around it (any other of that
    length would lie strictly inside, and PostgreSQL would have written it); the one that
    reads back as the number, with its trailing zeros dropped, is Python's digits. All in
    ``numeric`` from the text (``float8::numeric`` keeps only 15 digits); a neighbour above
    the largest double is not read back (an error). A scalar subquery (its steps named once
    each), evaluated only for the values that reach it."""

    def step(name: str, *values: ColumnElement[Any]) -> Any:
        return sa.func.unnest(postgresql.array(list(values))).table_valued("v").render_derived(name)

    written = step("float_text", sa.cast(size, sa.Text))
    mantissa = sa.func.split_part(written.c.v, lit("e"), 1)
    place = step(
        "float_place",
        sa.cast(sa.func.split_part(written.c.v, lit("e"), 2), sa.Integer)
        - sa.func.length(sa.func.replace(mantissa, lit("."), lit("")))
        + sa.literal_column("2", sa.Integer),
    )
    below = sa.func.trunc(sa.cast(written.c.v, sa.Numeric), -place.c.v)
    ten = sa.literal_column("CAST(10 AS NUMERIC)", sa.Numeric)
    near = step("float_near", below, sa.func.trunc(below + sa.func.power(ten, place.c.v)))
    whole = step("float_whole", sa.cast(near.c.v, sa.Text))
    kept = sa.func.rtrim(whole.c.v, lit("0"))
    largest = sa.literal_column("CAST('1.7976931348623157e308' AS NUMERIC)", sa.Numeric)
    reads_back = sa.case(
        (near.c.v < largest, sa.cast(near.c.v, sa.Float(53)) == sa.cast(written.c.v, sa.Float(53)))
    )
    shorter = concat(
        [
            sa.func.left(kept, 1),
            sa.case(
                (sa.func.length(kept) > 1, concat([lit("."), sa.func.substr(kept, 2)])),
                else_=lit(""),
            ),
            lit("e+"),
            sa.cast(sa.func.length(whole.c.v) - 1, sa.Text),
        ]
    )
    joined = written.join(place, sa.true()).join(near, sa.true()).join(whole, sa.true())
    return sa.type_coerce(
        sa.select(shorter).select_from(joined).where(reads_back).limit(1).scalar_subquery(),
        sa.Text,
    )


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
