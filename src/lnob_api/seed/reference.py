"""Reference data: the SDG framework, coalitions, marginalised groups and publications.

The SDG framework is upserted (a newer CSV updates titles and translations). Coalitions,
groups and publications are only inserted when missing: after the first load they belong to
their admins, and a re-seed must not undo their edits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api import models
from lnob_api.models import PublicationKind, Visibility
from lnob_api.sdg.codes import sort_key
from lnob_api.seed.files import Row, SeedFiles
from lnob_api.seed.report import SeedReport
from lnob_api.seed.writes import ids_by, insert_missing, upsert
from lnob_api.slugs import slugify

SDG_FRAMEWORK = "sdg-framework"
SDG_FRAMEWORK_VERSION = "2025"
SDG_FRAMEWORK_LABEL = (
    "UNSD global indicator framework after the 2025 Comprehensive Review (E/CN.3/2025/6); "
    "tier classification as of 2022-11-30"
)
SDG_FRAMEWORK_SOURCE = (
    "United Nations Statistics Division, Global indicator framework (after 2025 review); "
    "IAEG-SDGs, Tier Classification for Global SDG Indicators (30 November 2022); "
    "translations: open-sdg/sdg-translations (MIT). See seeds/sdg/SOURCE.md."
)

PILOT_COHORT = "pilot"

# The partnership's global vocabulary of groups at risk of being left behind.
MARGINALISED_GROUPS: tuple[tuple[str, str, str], ...] = (
    (
        "PERSONS_WITH_DISABILITIES",
        "Persons with disabilities",
        "People with long-term physical, mental, intellectual or sensory impairments.",
    ),
    ("OLDER_PERSONS", "Older persons", "People aged 60 or over, or as defined nationally."),
    ("REFUGEES", "Refugees", "People forced to flee their country, and asylum seekers."),
    ("DALITS", "Dalits", "Communities discriminated against on the basis of caste or descent."),
    (
        "ETHNIC_MINORITIES",
        "Ethnic minorities",
        "Ethnic, linguistic or religious groups outside a country's majority population.",
    ),
    (
        "INDIGENOUS_PEOPLES",
        "Indigenous peoples",
        "Peoples with their own identity, culture and ties to ancestral lands.",
    ),
    (
        "INFORMAL_WORKERS",
        "Informal workers",
        "Workers without a formal contract, social protection or legal recognition of their work.",
    ),
    (
        "WOMEN_HEADED_HOUSEHOLDS",
        "Women-headed households",
        "Households whose main provider or decision-maker is a woman.",
    ),
    ("YOUTH", "Youth", "Young people, usually aged 15 to 24."),
    (
        "PEOPLE_LIVING_IN_POVERTY",
        "People living in poverty",
        "People below the national or international poverty line, or deprived in several ways.",
    ),
)


async def load_sdg_framework(conn: AsyncConnection, files: SeedFiles, report: SeedReport) -> None:
    """Goals, targets and global indicators, with translations, and the framework's version."""
    translations = files.translations()
    short_titles = files.goal_short_titles()
    goals = [
        {
            "code": int(row["code"]),
            "title": row["title"],
            "short_title": row["short_title"],
            "title_translations": translations.get(("goal", row["code"]), {}),
            "short_title_translations": short_titles.get(row["code"], {}),
        }
        for row in files.goals()
    ]
    await upsert(conn, models.SdgGoal, goals, key=["code"], report=report)
    targets = [
        {
            "code": row["code"],
            "goal_code": int(row["goal_code"]),
            "title": row["title"],
            "title_translations": translations.get(("target", row["code"]), {}),
            "sort_key": sort_key(row["code"]),
        }
        for row in files.targets()
    ]
    await upsert(conn, models.SdgTarget, targets, key=["code"], report=report)
    indicators = [_indicator(row, translations) for row in files.indicators()]
    await upsert(
        conn,
        models.Indicator,
        indicators,
        key=["code"],
        update=[
            "target_code",
            "title",
            "title_translations",
            "tier",
            "unsd_code",
            "framework_version",
            "sort_key",
        ],
        report=report,
    )
    await record_version(
        conn, SDG_FRAMEWORK, version=SDG_FRAMEWORK_LABEL, source=SDG_FRAMEWORK_SOURCE, report=report
    )


def _indicator(row: Row, translations: dict[tuple[str, str], dict[str, str]]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "target_code": row["target_code"],
        "title": row["title"],
        "title_translations": translations.get(("indicator", row["code"]), {}),
        "tier": row["tier"] or None,
        "unsd_code": row["unsd_code"] or None,
        "coalition_id": None,
        "framework_version": SDG_FRAMEWORK_VERSION,
        "sort_key": sort_key(row["code"]),
    }


async def record_version(
    conn: AsyncConnection, name: str, *, version: str, source: str, report: SeedReport
) -> None:
    """Note which version of a reference data set is loaded (updated when it changes)."""
    await upsert(
        conn,
        models.ReferenceDataVersion,
        [{"name": name, "version": version, "source": source}],
        key=["name"],
        report=report,
    )


async def load_coalitions(conn: AsyncConnection, files: SeedFiles, report: SeedReport) -> None:
    """The partnership's country coalitions (their countries must already be loaded)."""
    rows = [
        {
            "code": row["country_code"],
            "slug": slugify(row["country"]),
            "name": row["name"],
            "launched_year": int(row["launched"]) if row["launched"] else None,
            "cohort": row["cohort"],
            "description": _coalition_description(row),
        }
        for row in files.coalitions()
    ]
    await insert_missing(conn, models.Coalition, rows, key=["code"], report=report)


def _coalition_description(row: Row) -> str:
    # Only what seeds/lnob/SOURCE.md states; nothing invented.
    country = row["country"]
    if row["cohort"] == PILOT_COHORT:
        return (
            f"One of the five pilot coalitions formed in {row['launched']}: in {country} it "
            "brings together national NGOs, civic platforms and community-based organisations."
        )
    if row["country_code"] == "DK":
        return (
            f"Launched in late {row['launched']}, the first coalition in a high-income country, "
            "where groups at risk include older people, refugees and people with disabilities."
        )
    return f"One of the two coalitions launched in late {row['launched']}, after the five pilots."


async def load_marginalised_groups(conn: AsyncConnection, report: SeedReport) -> None:
    """The global vocabulary of marginalised groups (coalition_id null)."""
    rows = [
        {"code": code, "name": name, "description": description, "coalition_id": None}
        for code, name, description in MARGINALISED_GROUPS
    ]
    await insert_missing(conn, models.MarginalisedGroup, rows, key=["code"], report=report)


async def load_publications(conn: AsyncConnection, files: SeedFiles, report: SeedReport) -> None:
    """The partnership's published material, linked to the coalitions it is about."""
    coalitions = await ids_by(conn, models.Coalition, "code")
    pilot_codes = [
        row["country_code"] for row in files.coalitions() if row["cohort"] == PILOT_COHORT
    ]
    source = files.publications()
    rows = [
        {
            "slug": slugify(row["title"]),
            "coalition_id": coalitions[row["coalition_code"]] if row["coalition_code"] else None,
            "kind": PublicationKind(row["kind"]),
            "title": row["title"],
            "description": row["description"],
            "language": "en",
            "published_on": None,
            "file_url": None,  # the files' addresses are not known
            "visibility": Visibility.PUBLIC,
        }
        for row in source
    ]
    await insert_missing(conn, models.Publication, rows, key=["slug"], report=report)
    publications = await ids_by(conn, models.Publication, "slug")
    links = [
        {"publication_id": publications[slugify(row["title"])], "coalition_id": coalitions[code]}
        for row in source
        for code in ([row["coalition_code"]] if row["coalition_code"] else pilot_codes)
    ]
    await insert_missing(
        conn,
        models.PublicationCoalition,
        links,
        key=["publication_id", "coalition_id"],
        report=report,
    )
