"""A list filter declared with ``declare.conditions``: given values only, in declaration
order, an unknown name refused."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql

from lnob_api.audit.repository import filters as audit_filters
from lnob_api.sdg.repository import indicator_filters


def _sql(clauses: list) -> list[str]:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return [
        str(c.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for c in clauses
    ]


def test_only_the_given_values_in_declaration_order() -> None:
    assert _sql(audit_filters(action="UPDATE", entity_type="Dataset", since=None)) == [
        "audit_events.entity_type = 'Dataset'",
        "audit_events.action = 'UPDATE'",
    ]
    assert audit_filters() == []


def test_false_is_a_value_and_words_give_one_clause_each() -> None:
    custom, *search = _sql(indicator_filters(custom=False, search="Poverty  line"))
    assert custom == "indicators.coalition_id IS NULL"
    assert len(search) == 2
    assert search[0].startswith("lower(indicators.title) LIKE '%%poverty%%'")
    assert "'%%line%%'" in search[1]


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(TypeError, match="no such filter: colour"):
        audit_filters(colour="red")
