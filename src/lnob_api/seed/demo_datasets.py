"""What the demo coalitions did: projects, datasets and reports (all invented, all "(demo)").

Together the datasets cover every visibility and every status, several methodologies and
every SDMX period form, so that each access rule and each code path has data to work on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from lnob_api.models import DatasetStatus, Methodology, ProjectStatus, Visibility
from lnob_api.seed.demo_catalogue import COUNTRY_NAMES, PILOTS

PUBLIC = Visibility.PUBLIC
PARTNERSHIP = Visibility.PARTNERSHIP
COALITION = Visibility.COALITION
DRAFT = DatasetStatus.DRAFT
PUBLISHED = DatasetStatus.PUBLISHED
RETRACTED = DatasetStatus.RETRACTED

FICTION = "Invented for demonstration: not real data."


@dataclass(frozen=True)
class DemoProject:
    key: str
    coalition: str
    title: str
    start: date
    end: date | None
    status: ProjectStatus
    visibility: Visibility
    targets: tuple[str, ...]
    groups: tuple[str, ...]


# The SDG targets and groups each country's projects address.
_FOCUS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "BD": (("1.3", "10.2", "16.7"), ("DALITS", "ETHNIC_MINORITIES", "PEOPLE_LIVING_IN_POVERTY")),
    "IN": (("1.4", "8.5", "10.2"), ("INFORMAL_WORKERS", "WOMEN_HEADED_HOUSEHOLDS", "DALITS")),
    "KE": (("6.1", "10.2", "11.1", "16.7"), ("PERSONS_WITH_DISABILITIES", "YOUTH")),
    "NP": (("1.3", "10.2", "16.7"), ("DALITS", "WOMEN_HEADED_HOUSEHOLDS")),
    "VN": (("1.4", "3.8", "10.2"), ("ETHNIC_MINORITIES", "OLDER_PERSONS")),
    "MW": (("1.3", "10.2"), ("PERSONS_WITH_DISABILITIES", "OLDER_PERSONS")),
    "DK": (("3.8", "10.2", "10.3"), ("OLDER_PERSONS", "REFUGEES", "PERSONS_WITH_DISABILITIES")),
}


def _projects() -> tuple[DemoProject, ...]:
    projects: list[DemoProject] = []
    for country in PILOTS:
        targets, groups = _FOCUS[country]
        name = COUNTRY_NAMES[country]
        projects.append(
            DemoProject(
                f"{country}-pilot",
                country,
                f"Making Voices Heard and Count pilot (demo): {name}",
                date(2018, 1, 1),
                date(2019, 12, 31),
                ProjectStatus.COMPLETED,
                PUBLIC,
                targets[:3],
                groups[:2],
            )
        )
        projects.append(
            DemoProject(
                f"{country}-expanded",
                country,
                f"Expanded community data project 2020-2021 (demo): {name}",
                date(2020, 1, 1),
                date(2021, 12, 31),
                ProjectStatus.COMPLETED,
                PARTNERSHIP if country == "VN" else PUBLIC,
                targets[-2:],
                groups,
            )
        )
    mw_targets, mw_groups = _FOCUS["MW"]
    dk_targets, dk_groups = _FOCUS["DK"]
    projects.append(
        DemoProject(
            "MW-2022",
            "MW",
            "Community data project 2022 (demo): Malawi",
            date(2022, 1, 1),
            date(2022, 12, 31),
            ProjectStatus.COMPLETED,
            PUBLIC,
            mw_targets,
            mw_groups,
        )
    )
    projects.append(
        DemoProject(
            "DK-2022",
            "DK",
            "Community data project 2022 (demo): Denmark",
            date(2022, 3, 1),
            None,
            ProjectStatus.ACTIVE,
            COALITION,
            dk_targets,
            dk_groups,
        )
    )
    return tuple(projects)


PROJECTS = _projects()


@dataclass(frozen=True)
class DemoDataset:
    project: str  # DemoProject.key; the coalition is the project's
    title: str
    methodology: Methodology
    collected: tuple[date, date]
    status: DatasetStatus
    visibility: Visibility
    indicators: tuple[str, ...]  # global codes and the coalition's custom codes
    groups: tuple[str, ...]
    periods: tuple[str, ...]
    published: date | None = None
    retraction_reason: str | None = None


def _quarters(year: int) -> tuple[str, ...]:
    return tuple(f"{year}-Q{q}" for q in range(1, 5))


M = Methodology
DATASETS: tuple[DemoDataset, ...] = (
    DemoDataset("BD-pilot", "Social protection among char dwellers, 2018-2019 (demo)", M.HOUSEHOLD_SURVEY, (date(2018, 3, 1), date(2019, 6, 30)), PUBLISHED, PUBLIC, ("1.3.1", "1.4.1", "BD-C-0001"), ("PEOPLE_LIVING_IN_POVERTY", "ETHNIC_MINORITIES"), ("2018", "2019"), date(2019, 9, 2)),  # noqa: E501
    DemoDataset("BD-expanded", "Dalit and ethnic minority inclusion scorecard, 2020-2021 (demo)", M.COMMUNITY_SCORECARD, (date(2020, 2, 1), date(2021, 11, 30)), PUBLISHED, PARTNERSHIP, ("16.7.2", "BD-C-0001"), ("DALITS", "ETHNIC_MINORITIES"), ("2020-S1", "2020-S2", "2021-S1", "2021-S2"), date(2022, 1, 20)),  # noqa: E501
    DemoDataset("IN-pilot", "Informal workers' living conditions, 2018-2019 (demo)", M.HOUSEHOLD_SURVEY, (date(2018, 4, 1), date(2019, 3, 31)), PUBLISHED, PUBLIC, ("8.3.1", "1.4.1", "11.1.1"), ("INFORMAL_WORKERS",), ("2018", "2019"), date(2019, 7, 15)),  # noqa: E501
    DemoDataset("IN-expanded", "Women-headed households and public services, 2021 (demo)", M.FOCUS_GROUP, (date(2021, 1, 10), date(2021, 12, 15)), DRAFT, COALITION, ("1.4.1", "10.3.1"), ("WOMEN_HEADED_HOUSEHOLDS", "DALITS"), _quarters(2021)),  # noqa: E501
    DemoDataset("IN-expanded", "Informal workers' scorecard on local services, 2020 (demo)", M.COMMUNITY_SCORECARD, (date(2020, 1, 15), date(2020, 12, 15)), RETRACTED, PARTNERSHIP, ("8.3.1", "16.7.2"), ("INFORMAL_WORKERS",), ("2020",), date(2021, 2, 1), "Scores from two wards were entered twice (demo)."),  # noqa: E501
    DemoDataset("KE-pilot", "Persons with disabilities in Nairobi informal settlements, 2018-2019 (demo)", M.HOUSEHOLD_SURVEY, (date(2018, 5, 1), date(2019, 8, 31)), PUBLISHED, PUBLIC, ("KE-C-0001", "6.1.1", "11.1.1", "10.2.1"), ("PERSONS_WITH_DISABILITIES", "PEOPLE_LIVING_IN_POVERTY"), ("2018", "2019"), date(2019, 11, 4)),  # noqa: E501
    DemoDataset("KE-expanded", "Youth participation in county planning, 2020-2021 (demo)", M.CITIZEN_REPORTING, (date(2020, 7, 1), date(2021, 6, 30)), PUBLISHED, COALITION, ("16.7.2", "KE-C-0001"), ("YOUTH",), ("2020-07", "2020-10", "2021-01", "2021-04"), date(2021, 9, 1)),  # noqa: E501
    DemoDataset("KE-expanded", "Water point spot checks in Korogocho, 2020 (demo)", M.KEY_INFORMANT_INTERVIEW, (date(2020, 2, 1), date(2020, 3, 31)), RETRACTED, PUBLIC, ("6.1.1",), ("PEOPLE_LIVING_IN_POVERTY",), ("2020-W06", "2020-W08", "2020-W10", "2020-W12"), date(2020, 5, 5), "The sample frame listed some households twice (demo)."),  # noqa: E501
    DemoDataset("NP-pilot", "Dalit households and social security allowances, 2018-2019 (demo)", M.HOUSEHOLD_SURVEY, (date(2018, 6, 1), date(2019, 5, 31)), PUBLISHED, PUBLIC, ("1.3.1", "NP-C-0001", "10.2.1"), ("DALITS", "WOMEN_HEADED_HOUSEHOLDS"), ("2018", "2019"), date(2019, 10, 10)),  # noqa: E501
    DemoDataset("NP-expanded", "Community dialogues on local budgets in Karnali, 2021 (demo)", M.COMMUNITY_DIALOGUE, (date(2021, 3, 15), date(2021, 9, 20)), PUBLISHED, PARTNERSHIP, ("16.7.2", "NP-C-0001"), ("DALITS",), ("2021-03-15", "2021-06-18", "2021-09-20"), date(2021, 12, 1)),  # noqa: E501
    DemoDataset("VN-pilot", "Ethnic minority access to basic services, 2019 (demo)", M.MIXED, (date(2019, 1, 7), date(2019, 10, 31)), PUBLISHED, PUBLIC, ("1.4.1", "3.8.1"), ("ETHNIC_MINORITIES",), ("2019",), date(2020, 1, 30)),  # noqa: E501
    DemoDataset("VN-expanded", "Older persons' health coverage, 2020-2021 (demo)", M.ADMINISTRATIVE_DATA, (date(2020, 1, 1), date(2021, 12, 31)), DRAFT, PARTNERSHIP, ("3.8.1", "1.3.1"), ("OLDER_PERSONS",), ("2020", "2021")),  # noqa: E501
    DemoDataset("MW-2022", "Persons with disabilities and social cash transfers, 2022 (demo)", M.HOUSEHOLD_SURVEY, (date(2022, 1, 10), date(2022, 12, 10)), PUBLISHED, COALITION, ("1.3.1", "10.2.1"), ("PERSONS_WITH_DISABILITIES", "OLDER_PERSONS"), _quarters(2022), date(2023, 2, 14)),  # noqa: E501
    DemoDataset("DK-2022", "Older persons and refugees: discrimination in services, 2022 (demo)", M.FOCUS_GROUP, (date(2022, 3, 1), date(2022, 11, 30)), DRAFT, COALITION, ("DK-C-0001", "10.3.1"), ("OLDER_PERSONS", "REFUGEES"), ("2022-Q2", "2022-Q3", "2022-Q4")),  # noqa: E501
)


def at_noon(day: date) -> datetime:
    """A fixed publication time on ``day`` (the demo set never reads the clock)."""
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoPublication:
    coalition: str
    title: str
    visibility: Visibility
    published_on: date
    datasets: tuple[str, ...]  # dataset titles
    targets: tuple[str, ...]


PUBLICATIONS: tuple[DemoPublication, ...] = (
    DemoPublication(
        "KE",
        "Voices from Nairobi's informal settlements: findings 2018-2021 (demo)",
        PUBLIC,
        date(2021, 10, 4),
        (DATASETS[5].title, DATASETS[6].title),
        ("6.1", "10.2", "11.1"),
    ),
    DemoPublication(
        "NP",
        "Dalit households and social security in Nepal: coalition working paper (demo)",
        COALITION,
        date(2022, 2, 21),
        (DATASETS[8].title, DATASETS[9].title),
        ("1.3", "10.2", "16.7"),
    ),
)
