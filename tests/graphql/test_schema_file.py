"""schema/schema.graphql is the exported SDL of the code."""

from __future__ import annotations

from pathlib import Path

from lnob_api.graphql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


class TestSchemaFile:
    def test_committed_sdl_matches_the_code(self) -> None:
        expected = schema.as_str().rstrip() + "\n"
        assert SCHEMA_FILE.read_text(encoding="utf-8") == expected, (
            "schema/schema.graphql is stale: run `lnob-api export-schema`"
        )

    def test_every_node_type_is_in_the_schema(self) -> None:
        sdl = SCHEMA_FILE.read_text(encoding="utf-8")
        for name in (
            "Coalition",
            "Organisation",
            "Project",
            "Dataset",
            "SdgGoal",
            "SdgTarget",
            "Indicator",
        ):
            assert f"type {name} implements Node" in sdl
