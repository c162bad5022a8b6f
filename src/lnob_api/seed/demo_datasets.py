"""The demo datasets and the reports drawn from them (all invented, all "(demo)").

Together the datasets cover every visibility and every status, several methodologies and
every SDMX period form, so that each access rule and each code path has data to work on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from lnob_api.models import DatasetStatus, Methodology, Visibility

PUBLIC = Visibility.PUBLIC
PARTNERSHIP = Visibility.PARTNERSHIP
COALITION = Visibility.COALITION
DRAFT = DatasetStatus.DRAFT
PUBLISHED = DatasetStatus.PUBLISHED
RETRACTED = DatasetStatus.RETRACTED

FICTION = "Invented for demonstration: not real data."


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
    DemoDataset(
        project="BD-pilot",
        title="Social protection among char dwellers, 2018-2019 (demo)",
        methodology=M.HOUSEHOLD_SURVEY,
        collected=(date(2018, 3, 1), date(2019, 6, 30)),
        status=PUBLISHED,
        visibility=PUBLIC,
        indicators=("1.3.1", "1.4.1", "BD-C-0001"),
        groups=("PEOPLE_LIVING_IN_POVERTY", "ETHNIC_MINORITIES"),
        periods=("2018", "2019"),
        published=date(2019, 9, 2),
    ),
    DemoDataset(
        project="BD-expanded",
        title="Dalit and ethnic minority inclusion scorecard, 2020-2021 (demo)",
        methodology=M.COMMUNITY_SCORECARD,
        collected=(date(2020, 2, 1), date(2021, 11, 30)),
        status=PUBLISHED,
        visibility=PARTNERSHIP,
        indicators=("16.7.2", "BD-C-0001"),
        groups=("DALITS", "ETHNIC_MINORITIES"),
        periods=("2020-S1", "2020-S2", "2021-S1", "2021-S2"),
        published=date(2022, 1, 20),
    ),
    DemoDataset(
        project="IN-pilot",
        title="Informal workers' living conditions, 2018-2019 (demo)",
        methodology=M.HOUSEHOLD_SURVEY,
        collected=(date(2018, 4, 1), date(2019, 3, 31)),
        status=PUBLISHED,
        visibility=PUBLIC,
        indicators=("8.3.1", "1.4.1", "11.1.1"),
        groups=("INFORMAL_WORKERS",),
        periods=("2018", "2019"),
        published=date(2019, 7, 15),
    ),
    DemoDataset(
        project="IN-expanded",
        title="Women-headed households and public services, 2021 (demo)",
        methodology=M.FOCUS_GROUP,
        collected=(date(2021, 1, 10), date(2021, 12, 15)),
        status=DRAFT,
        visibility=COALITION,
        indicators=("1.4.1", "10.3.1"),
        groups=("WOMEN_HEADED_HOUSEHOLDS", "DALITS"),
        periods=_quarters(2021),
    ),
    DemoDataset(
        project="IN-expanded",
        title="Informal workers' scorecard on local services, 2020 (demo)",
        methodology=M.COMMUNITY_SCORECARD,
        collected=(date(2020, 1, 15), date(2020, 12, 15)),
        status=RETRACTED,
        visibility=PARTNERSHIP,
        indicators=("8.3.1", "16.7.2"),
        groups=("INFORMAL_WORKERS",),
        periods=("2020",),
        published=date(2021, 2, 1),
        retraction_reason="Scores from two wards were entered twice (demo).",
    ),
    DemoDataset(
        project="KE-pilot",
        title="Persons with disabilities in Nairobi informal settlements, 2018-2019 (demo)",
        methodology=M.HOUSEHOLD_SURVEY,
        collected=(date(2018, 5, 1), date(2019, 8, 31)),
        status=PUBLISHED,
        visibility=PUBLIC,
        indicators=("KE-C-0001", "6.1.1", "11.1.1", "10.2.1"),
        groups=("PERSONS_WITH_DISABILITIES", "PEOPLE_LIVING_IN_POVERTY"),
        periods=("2018", "2019"),
        published=date(2019, 11, 4),
    ),
    DemoDataset(
        project="KE-expanded",
        title="Youth participation in county planning, 2020-2021 (demo)",
        methodology=M.CITIZEN_REPORTING,
        collected=(date(2020, 7, 1), date(2021, 6, 30)),
        status=PUBLISHED,
        visibility=COALITION,
        indicators=("16.7.2", "KE-C-0001"),
        groups=("YOUTH",),
        periods=("2020-07", "2020-10", "2021-01", "2021-04"),
        published=date(2021, 9, 1),
    ),
    DemoDataset(
        project="KE-expanded",
        title="Water point spot checks in Korogocho, 2020 (demo)",
        methodology=M.KEY_INFORMANT_INTERVIEW,
        collected=(date(2020, 2, 1), date(2020, 3, 31)),
        status=RETRACTED,
        visibility=PUBLIC,
        indicators=("6.1.1",),
        groups=("PEOPLE_LIVING_IN_POVERTY",),
        periods=("2020-W06", "2020-W08", "2020-W10", "2020-W12"),
        published=date(2020, 5, 5),
        retraction_reason="The sample frame listed some households twice (demo).",
    ),
    DemoDataset(
        project="NP-pilot",
        title="Dalit households and social security allowances, 2018-2019 (demo)",
        methodology=M.HOUSEHOLD_SURVEY,
        collected=(date(2018, 6, 1), date(2019, 5, 31)),
        status=PUBLISHED,
        visibility=PUBLIC,
        indicators=("1.3.1", "NP-C-0001", "10.2.1"),
        groups=("DALITS", "WOMEN_HEADED_HOUSEHOLDS"),
        periods=("2018", "2019"),
        published=date(2019, 10, 10),
    ),
    DemoDataset(
        project="NP-expanded",
        title="Community dialogues on local budgets in Karnali, 2021 (demo)",
        methodology=M.COMMUNITY_DIALOGUE,
        collected=(date(2021, 3, 15), date(2021, 9, 20)),
        status=PUBLISHED,
        visibility=PARTNERSHIP,
        indicators=("16.7.2", "NP-C-0001"),
        groups=("DALITS",),
        periods=("2021-03-15", "2021-06-18", "2021-09-20"),
        published=date(2021, 12, 1),
    ),
    DemoDataset(
        project="VN-pilot",
        title="Ethnic minority access to basic services, 2019 (demo)",
        methodology=M.MIXED,
        collected=(date(2019, 1, 7), date(2019, 10, 31)),
        status=PUBLISHED,
        visibility=PUBLIC,
        indicators=("1.4.1", "3.8.1"),
        groups=("ETHNIC_MINORITIES",),
        periods=("2019",),
        published=date(2020, 1, 30),
    ),
    DemoDataset(
        project="VN-expanded",
        title="Older persons' health coverage, 2020-2021 (demo)",
        methodology=M.ADMINISTRATIVE_DATA,
        collected=(date(2020, 1, 1), date(2021, 12, 31)),
        status=DRAFT,
        visibility=PARTNERSHIP,
        indicators=("3.8.1", "1.3.1"),
        groups=("OLDER_PERSONS",),
        periods=("2020", "2021"),
    ),
    DemoDataset(
        project="MW-2022",
        title="Persons with disabilities and social cash transfers, 2022 (demo)",
        methodology=M.HOUSEHOLD_SURVEY,
        collected=(date(2022, 1, 10), date(2022, 12, 10)),
        status=PUBLISHED,
        visibility=COALITION,
        indicators=("1.3.1", "10.2.1"),
        groups=("PERSONS_WITH_DISABILITIES", "OLDER_PERSONS"),
        periods=_quarters(2022),
        published=date(2023, 2, 14),
    ),
    DemoDataset(
        project="DK-2022",
        title="Older persons and refugees: discrimination in services, 2022 (demo)",
        methodology=M.FOCUS_GROUP,
        collected=(date(2022, 3, 1), date(2022, 11, 30)),
        status=DRAFT,
        visibility=COALITION,
        indicators=("DK-C-0001", "10.3.1"),
        groups=("OLDER_PERSONS", "REFUGEES"),
        periods=("2022-Q2", "2022-Q3", "2022-Q4"),
    ),
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
    datasets: tuple[str, ...]  # titles of DATASETS
    targets: tuple[str, ...]


PUBLICATIONS: tuple[DemoPublication, ...] = (
    DemoPublication(
        "KE",
        "Voices from Nairobi's informal settlements: findings 2018-2021 (demo)",
        PUBLIC,
        date(2021, 10, 4),
        (
            "Persons with disabilities in Nairobi informal settlements, 2018-2019 (demo)",
            "Youth participation in county planning, 2020-2021 (demo)",
        ),
        ("6.1", "10.2", "11.1"),
    ),
    DemoPublication(
        "NP",
        "Dalit households and social security in Nepal: coalition working paper (demo)",
        COALITION,
        date(2022, 2, 21),
        (
            "Dalit households and social security allowances, 2018-2019 (demo)",
            "Community dialogues on local budgets in Karnali, 2021 (demo)",
        ),
        ("1.3", "10.2", "16.7"),
    ),
)
