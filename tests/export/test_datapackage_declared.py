"""The data package types a CSV column from its declared field (declare.observation): a column
added to a copy of the declaration is described with its type, and the export's rows validate
against that description (frictionless reads the bytes the export wrote)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import frictionless
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

from lnob_api import models
from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.declare import Field
from lnob_api.declare.observation import OBSERVATION
from lnob_api.export import datapackage
from lnob_api.export import repository as export_repo

ADMIN = Principal(kind=PrincipalKind.USER, is_partnership_admin=True)
# Columns of the table the declaration does not export: a date, a timestamp, a nullable boolean.
ADDED = (
    Field("period_start", csv="period_start"),
    Field("created_at", csv="created_at"),
    Field("washington_group", csv="washington_group"),
)
WITH_ADDED = dataclasses.replace(OBSERVATION, fields=(*OBSERVATION.fields, *ADDED))


def _described(enums: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    return {x["name"]: x for x in datapackage.fields(enums, labels=False, entity=WITH_ADDED)}


def test_a_column_added_to_a_copy_is_typed_as_declared() -> None:
    described = _described({name: [] for name in datapackage.ENUMS.values()})
    assert list(described) == list(export_repo.csv_columns(WITH_ADDED))
    assert described["period_start"]["type"] == "date"
    assert described["period_start"]["constraints"] == {"required": True}
    created = described["created_at"]
    assert (created["type"], created["format"]) == ("datetime", datapackage.DATETIME_FORMAT)
    washington = described["washington_group"]
    assert washington["type"] == "boolean"
    assert washington["constraints"] == {"required": False}  # nullable
    assert (washington["trueValues"], washington["falseValues"]) == (["t"], ["f"])
    # CSVW reads the same description
    columns = {c["name"]: c for c in map(datapackage._csvw_column, described.values())}
    assert columns["period_start"]["datatype"] == {"base": "date"}
    assert columns["washington_group"]["datatype"] == {"base": "boolean", "format": "t|f"}
    # what the declaration says of the known columns stays as it was
    assert described["sample_size"]["type"] == "integer"
    assert described["value"]["constraints"] == {"required": False}
    assert described["unit"]["constraints"] == {"required": False}
    assert described["perturbed"]["trueValues"] == ["true"]


async def test_the_rows_of_the_added_columns_validate(
    conn: AsyncConnection, tmp_path: Path
) -> None:
    # given observations with and without a value of each added column
    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition)
    one = await f.create_observation(conn, dataset, period="2020", washington_group=True)
    two = await f.create_observation(conn, dataset, period="2021", washington_group=None)
    # when the export of the copy writes them
    where = [models.Observation.id.in_([one["id"], two["id"]])]
    stmt = export_repo.csv_select(ADMIN, where, WITH_ADDED)
    (tmp_path / "rows.csv").write_bytes(
        b"".join([c async for c in export_repo.copy_csv(conn, stmt)])
    )
    # then they validate against the fields the package describes
    enums = await datapackage.enums(conn, ADMIN)
    resource = frictionless.Resource(
        {
            "name": "rows",
            "path": "rows.csv",
            "format": "csv",
            "schema": {
                "fields": list(_described(enums).values()),
                "missingValues": [""],
            },
        },
        basepath=str(tmp_path),
    )
    report = resource.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    rows = resource.read_rows()
    assert [r["washington_group"] for r in rows] == [True, None]
    assert [r["period_start"].year for r in rows] == [2020, 2021]
