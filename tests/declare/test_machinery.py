"""The declaration machinery on a toy entity: the inputs and filters it generates, the edits it
checks, the WHERE clauses it builds (no database: SDL and compiled SQL)."""

from __future__ import annotations

from typing import ClassVar

import pytest
import strawberry
from sqlalchemy.dialects import postgresql

from lnob_api import models
from lnob_api.declare import Edit, Entity, Field, Filter, language
from lnob_api.errors import InvalidInput
from lnob_api.graphql.declared import (
    Declared,
    create_input,
    created,
    declared_where,
    filters,
    update_input,
    updated,
)
from lnob_api.graphql.ids import to_global_id

TOY = Entity(
    "Publication",
    models.Publication,
    (
        Field("slug", editable=Edit(update=False, required=False, created="Default: made.")),
        Field("title", editable=Edit(limit=10)),
        Field("description", editable=Edit(updated="Null clears it.")),
        Field("kind", editable=True, filter=Filter("kind", "equal", "The kind.")),
        Field(
            "language",
            editable=Edit(create=False),
            check=language.tag,
            filter=Filter("languages", "member", "Tags."),
        ),
        Field("published_on", filter=Filter("published_on", "range", "Both ends included.")),
        Field("file_url", editable=Edit(name="url"), filter=Filter("url", "text", "Words.")),
    ),
    inputs=("title", "slug"),
)


@strawberry.input
@create_input(TOY)
class ToyCreateInput:
    coalition: str
    declared: ClassVar[Declared]
    targets: list[str] | None = None


@strawberry.input
@update_input(TOY)
class ToyUpdateInput:
    pass


@strawberry.input
@filters(TOY)
class ToyFilter:
    search: str | None = None


@strawberry.type
class Query:
    @strawberry.field
    def create(self, input: ToyCreateInput) -> str:
        return repr(created(TOY, input))

    @strawberry.field
    def update(self, input: ToyUpdateInput) -> str:
        found = updated(TOY, input)
        return repr((found.pk, found.row_version, found.fields))

    @strawberry.field
    def where(self, filter: ToyFilter) -> str:
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        clauses = declared_where(TOY, filter)
        return " AND ".join(
            str(c.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for c in clauses
        )


SCHEMA = strawberry.Schema(Query)


def _block(name: str) -> str:
    text = SCHEMA.as_str()
    start = text.index(f"input {name} {{")
    return text[start : text.index("}", start) + 1]


def test_the_create_input_puts_own_fields_around_the_declared_ones_in_input_order() -> None:
    assert _block("ToyCreateInput") == (
        "input ToyCreateInput {\n"
        "  coalition: String!\n"
        "  title: String!\n\n"
        '  """Default: made."""\n'
        "  slug: String = null\n"
        "  description: String = null\n"
        "  kind: PublicationKind!\n"
        "  url: String = null\n"
        "  targets: [String!] = null\n"
        "}"
    )


def test_the_update_input_has_id_and_row_version_first_and_every_field_optional() -> None:
    assert _block("ToyUpdateInput") == (
        "input ToyUpdateInput {\n"
        "  id: ID!\n\n"
        '  """The rowVersion you read."""\n'
        "  rowVersion: Int!\n"
        "  title: String\n\n"
        '  """Null clears it."""\n'
        "  description: String\n"
        "  kind: PublicationKind\n"
        "  language: String\n"
        "  url: String\n"
        "}"
    )


def test_the_filter_input_has_each_way_of_filtering() -> None:
    block = _block("ToyFilter")
    for line in (
        "search: String = null",
        "kind: PublicationKind = null",
        "languages: [String!] = null",
        "publishedOnFrom: Date = null",
        "publishedOnTo: Date = null",
        "url: String = null",
    ):
        assert line in block


def _run(query: str) -> str:
    result = SCHEMA.execute_sync(query)
    assert result.errors is None, result.errors
    assert result.data is not None
    return str(next(iter(result.data.values())))


def test_created_leaves_omitted_optional_fields_out_and_keys_by_column() -> None:
    found = _run('{ create(input: {coalition: "KE", title: "T", kind: REPORT, url: "u"}) }')
    assert found == "{'title': 'T', 'kind': <PublicationKind.REPORT: 'REPORT'>, 'file_url': 'u'}"


def test_updated_reads_the_key_the_row_version_and_only_the_fields_sent() -> None:
    node = to_global_id("Publication", 7)
    found = _run(f'{{ update(input: {{id: "{node}", rowVersion: 3, description: null}}) }}')
    assert found == "(7, 3, {'description': None})"


def test_updated_refuses_an_id_of_another_type() -> None:
    result = SCHEMA.execute_sync(
        f'{{ update(input: {{id: "{to_global_id("Dataset", 7)}", rowVersion: 1}}) }}'
    )
    assert result.errors is not None
    assert "is not a Publication id" in result.errors[0].message


def test_declared_where_builds_equality_membership_range_and_word_clauses() -> None:
    sql = _run(
        '{ where(filter: {kind: REPORT, languages: ["SW-ke", "en"], '
        'publishedOnFrom: "2024-01-01", url: "Report 50%"}) }'
    )
    assert "publications.kind = 'REPORT'" in sql
    assert "publications.language IN ('sw-KE', 'en')" in sql
    assert "publications.published_on >= '2024-01-01'" in sql
    assert "publications.published_on <=" not in sql
    # every word, any case, % taken literally (the driver's paramstyle doubles each %)
    assert "lower(publications.file_url) LIKE '%%report%%'" in sql
    assert "LIKE '%%50\\%%%%'" in sql


def test_a_bad_member_value_names_its_place() -> None:
    result = SCHEMA.execute_sync('{ where(filter: {languages: ["en", "xx-YY"]}) }')
    assert result.errors is not None
    error = result.errors[0].original_error
    assert isinstance(error, InvalidInput)
    assert error.field == "filter.languages.1"


def test_check_edits_refuses_null_on_not_null_too_long_text_and_bad_values() -> None:
    problems: list[InvalidInput] = []
    values = {"title": "x" * 11, "kind": None, "language": "SW-ke", "file_url": None}
    TOY.check_edits(values, problems)
    assert {(p.field, p.reason) for p in problems} == {("title", "TOO_LONG"), ("kind", "REQUIRED")}
    assert values["language"] == "sw-KE"  # normalised in place
    assert TOY.limits == {"title": 10}


@pytest.mark.parametrize("field", ["slug", "description", "file_url"])
def test_required_follows_the_column_unless_declared(field: str) -> None:
    assert not TOY.required(TOY.field(field))


def test_a_not_null_column_without_default_is_required_on_create() -> None:
    assert TOY.required(TOY.field("title"))
    assert TOY.required(TOY.field("kind"))
