"""The SDG disaggregation gap report's vocabulary: which disaggregations the SDG framework
expects of an indicator, and how a cell (community or official) shows one.

Pure (no database).

**What the framework expects.** The seeded framework (UNSD's global indicator list after the
2025 review, ``seeds/sdg/indicators.csv``) holds no per-indicator disaggregation table, so the
expectation is read from each indicator's official title, as the UN writes it:

- ``NAMED``: the title asks for it in a breakdown clause ("... by sex, age and geographic
  location (urban/rural)", "distinguishing ... persons with disabilities", "disaggregated by").
- ``POPULATION``: the title is about such a group without asking for a breakdown ("women aged
  15 to 49", "children under 5").
- ``WHERE_RELEVANT``: every other indicator: A/RES/71/313 (paragraph on disaggregation, and
  target 17.18) asks that SDG indicators be disaggregated, where relevant, by income, sex, age,
  race, ethnicity, migratory status, disability and geographic location.

**How data shows one.** Built-in dimensions (SEX, AGE, DISABILITY_STATUS, URBANISATION) with a
code other than the total ``_T``; the marginalised group of a cell (refugees count towards
migratory status, Dalits and ethnic minorities towards race and ethnicity...); free extra
dimensions named after the disaggregation (INCOME, WEALTH_QUINTILE, MIGRATORY_STATUS,
ETHNICITY, RACE...); and, for geographic location, cells of areas below the country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Disaggregation(StrEnum):
    SEX = "SEX"
    AGE = "AGE"
    DISABILITY_STATUS = "DISABILITY_STATUS"
    URBANISATION = "URBANISATION"  # geographic location: urban / rural
    SUBNATIONAL = "SUBNATIONAL"  # geographic location: areas below the country
    INCOME = "INCOME"
    MIGRATORY_STATUS = "MIGRATORY_STATUS"
    RACE_ETHNICITY = "RACE_ETHNICITY"


class Expectation(StrEnum):
    NAMED = "NAMED"
    POPULATION = "POPULATION"
    WHERE_RELEVANT = "WHERE_RELEVANT"


class Status(StrEnum):
    """Who reports a disaggregation of the indicator in the coalition's country."""

    FILLED_BY_COMMUNITY = "FILLED_BY_COMMUNITY"  # community data has it, official data not
    BOTH = "BOTH"
    OFFICIAL_ONLY = "OFFICIAL_ONLY"
    MISSING = "MISSING"  # neither

    @classmethod
    def of(cls, community: bool, official: bool) -> Status:
        if community:
            return cls.BOTH if official else cls.FILLED_BY_COMMUNITY
        return cls.OFFICIAL_ONLY if official else cls.MISSING


SOURCE = (
    "expectations read from each indicator's official title (UNSD global indicator framework"
    " after the 2025 review); WHERE_RELEVANT: A/RES/71/313, disaggregation by income, sex,"
    " age, race, ethnicity, migratory status, disability and geographic location"
)

# Words of a title that concern each disaggregation (case-insensitive).
_WORDS: dict[Disaggregation, str] = {
    Disaggregation.SEX: r"\bsex\b|\bwomen\b|\bgirls\b|\bboys\b|\bfemales?\b|\bgender\b|\bmen\b",
    Disaggregation.AGE: (
        r"\bage\b|\baged\b|\bages\b|\bchildren\b|\bchild\b|\byouths?\b|\bolder persons\b"
        r"|\badolescents?\b|\binfants?\b|\bunder-5\b|\bunder 5\b|\byoung people\b"
    ),
    Disaggregation.DISABILITY_STATUS: r"\bdisabilit\w*",
    Disaggregation.URBANISATION: r"\burban\b|\brural\b",
    Disaggregation.SUBNATIONAL: r"\bgeographic(al)? location\b|\blocation\b|\bsubnational\b",
    Disaggregation.INCOME: r"\bincome (group|quintile|level)s?\b|\bwealth\b|\bquintiles?\b",
    Disaggregation.MIGRATORY_STATUS: r"\bmigra\w*|\brefugees?\b|\bdisplaced\b",
    Disaggregation.RACE_ETHNICITY: r"\bethnic\w*|\brace\b|\bindigenous\b",
}
_PATTERNS = {d: re.compile(p, re.IGNORECASE) for d, p in _WORDS.items()}
# Where a title starts asking for a breakdown.
_BREAKDOWN = re.compile(
    r"\b(disaggregated by|distinguishing|by|parity indices|such as)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Expected:
    disaggregation: Disaggregation
    expectation: Expectation
    evidence: str | None  # the words of the title it rests on


def expected(title: str) -> list[Expected]:
    """What the framework expects of an indicator with this title, for every disaggregation."""
    clauses = [title[m.start() :] for m in _BREAKDOWN.finditer(title)]
    breakdown = clauses[0] if clauses else ""
    out = []
    for disaggregation, pattern in _PATTERNS.items():
        named = pattern.search(breakdown)
        anywhere = named or pattern.search(title)
        if named:
            out.append(Expected(disaggregation, Expectation.NAMED, named.group(0)))
        elif anywhere:
            out.append(Expected(disaggregation, Expectation.POPULATION, anywhere.group(0)))
        else:
            out.append(Expected(disaggregation, Expectation.WHERE_RELEVANT, None))
    return out


# How cells show each disaggregation besides its own dimension column.
GROUPS: dict[Disaggregation, tuple[str, ...]] = {
    Disaggregation.AGE: ("OLDER_PERSONS", "YOUTH"),
    Disaggregation.DISABILITY_STATUS: ("PERSONS_WITH_DISABILITIES",),
    Disaggregation.INCOME: ("PEOPLE_LIVING_IN_POVERTY",),
    Disaggregation.MIGRATORY_STATUS: ("REFUGEES",),
    Disaggregation.RACE_ETHNICITY: ("DALITS", "ETHNIC_MINORITIES", "INDIGENOUS_PEOPLES"),
}
# Free extra dimensions (keys of ``observations.dimensions``, upper case) for each.
EXTRA_KEYS: dict[Disaggregation, tuple[str, ...]] = {
    Disaggregation.INCOME: ("INCOME", "INCOME_GROUP", "INCOME_QUINTILE", "WEALTH_QUINTILE"),
    Disaggregation.MIGRATORY_STATUS: ("MIGRATORY_STATUS", "MIGRATION_STATUS", "REFUGEE_STATUS"),
    Disaggregation.RACE_ETHNICITY: ("ETHNICITY", "RACE", "CASTE", "INDIGENOUS_STATUS"),
}
# Built-in dimension columns.
COLUMNS: dict[Disaggregation, str] = {
    Disaggregation.SEX: "sex",
    Disaggregation.AGE: "age",
    Disaggregation.DISABILITY_STATUS: "disability_status",
    Disaggregation.URBANISATION: "urbanisation",
}
