"""What the demo coalitions set out to do: their projects (all invented, all "(demo)")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lnob_api.models import ProjectStatus, Visibility
from lnob_api.seed.demo_catalogue import COUNTRY_NAMES, PILOTS

PUBLIC = Visibility.PUBLIC
PARTNERSHIP = Visibility.PARTNERSHIP
COALITION = Visibility.COALITION


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
