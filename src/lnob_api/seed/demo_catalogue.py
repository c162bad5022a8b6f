"""Who and where in the demo set: organisations, local areas and custom indicators.

Everything here is invented for demonstration; every name carries "(demo)".
"""

from __future__ import annotations

from dataclasses import dataclass

from lnob_api.models import MemberRole, OrganisationKind

PILOTS = ("BD", "IN", "KE", "NP", "VN")
EXPANSION = ("MW", "DK")
COUNTRY_NAMES = {
    "BD": "Bangladesh",
    "IN": "India",
    "KE": "Kenya",
    "NP": "Nepal",
    "VN": "Vietnam",
    "MW": "Malawi",
    "DK": "Denmark",
}

LEAD = MemberRole.LEAD
MEMBER = MemberRole.MEMBER
OBSERVER = MemberRole.OBSERVER
NGO = OrganisationKind.NATIONAL_NGO
CBO = OrganisationKind.COMMUNITY_BASED_ORGANISATION


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    kind: OrganisationKind
    country_code: str | None
    memberships: tuple[tuple[str, MemberRole], ...]
    description: str


def _lead(country: str, name: str) -> DemoOrganisation:
    description = f"National NGO leading the {COUNTRY_NAMES[country]} demo coalition."
    return DemoOrganisation(name, NGO, country, ((country, LEAD),), description)


def _cbo(country: str, name: str, description: str) -> DemoOrganisation:
    return DemoOrganisation(name, CBO, country, ((country, MEMBER),), description)


ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    _lead("BD", "Bangladesh Voices Network (demo)"),
    _cbo("BD", "Char Dwellers' Association Kurigram (demo)", "Families on river islands."),
    _cbo("BD", "Dalit Rights Circle Khulna (demo)", "Community group of Dalit families."),
    _lead("IN", "India Inclusion Alliance (demo)"),
    _cbo("IN", "Urban Informal Workers' Collective (demo)", "Street vendors, domestic workers."),
    _lead("KE", "Kenya Community Data Forum (demo)"),
    _cbo("KE", "Korogocho Residents' Association (demo)", "Residents of an informal settlement."),
    _cbo("KE", "Turkana Pastoralist Women Group (demo)", "Women of pastoralist households."),
    _lead("NP", "Nepal Forum for Inclusive Development (demo)"),
    _cbo("NP", "Karnali Dalit Women's Group (demo)", "Self-help group of Dalit women."),
    _lead("VN", "Vietnam Network for Inclusive Development (demo)"),
    _cbo("VN", "Highland Ethnic Minority Youth Club (demo)", "Youth club in a mountain province."),
    _lead("MW", "Malawi Community Monitoring Network (demo)"),
    _cbo("MW", "Lilongwe Disabled Persons' Group (demo)", "Self-advocacy group."),
    _lead("DK", "Danish Network for Inclusive SDGs (demo)"),
    _cbo("DK", "Copenhagen Older Persons' Association (demo)", "Association of older residents."),
    _cbo("DK", "Aarhus Refugee Welcome Group (demo)", "Volunteers supporting refugees."),
    DemoOrganisation(
        "Global Inclusion Partners (demo)",
        OrganisationKind.ICSO,
        None,
        (("BD", MEMBER), ("IN", MEMBER), ("KE", MEMBER), ("NP", MEMBER), ("VN", MEMBER)),
        "International civil society organisation supporting the pilot coalitions.",
    ),
    DemoOrganisation(
        "International Disability Data Alliance (demo)",
        OrganisationKind.ICSO,
        None,
        (("KE", MEMBER), ("NP", MEMBER), ("MW", MEMBER), ("DK", OBSERVER)),
        "International civil society organisation working on disability data.",
    ),
    # Outside every coalition: it sees partnership data only through grants.
    DemoOrganisation(
        "Kenya National Statistics Office (demo)",
        OrganisationKind.STATISTICS_AGENCY,
        "KE",
        (),
        "A national statistics office that uses community-driven data (demo).",
    ),
)


@dataclass(frozen=True)
class DemoLocalArea:
    code: str
    name: str
    type: str
    parent_code: str  # a real ISO 3166-2 subdivision


LOCAL_AREAS: tuple[DemoLocalArea, ...] = (
    DemoLocalArea("KE-30-KOROGOCHO", "Korogocho (demo)", "Informal settlement", "KE-30"),
    DemoLocalArea("KE-30-MATHARE", "Mathare (demo)", "Informal settlement", "KE-30"),
    DemoLocalArea("KE-43-LODWAR", "Lodwar (demo)", "Town", "KE-43"),
    DemoLocalArea("NP-P6-BIRENDRANAGAR", "Birendranagar (demo)", "Municipality", "NP-P6"),
    DemoLocalArea("NP-P2-JANAKPUR", "Janakpur (demo)", "Municipality", "NP-P2"),
    DemoLocalArea("BD-13-KORAIL", "Korail (demo)", "Informal settlement", "BD-13"),
    DemoLocalArea("BD-28-CHILMARI", "Chilmari (demo)", "Upazila", "BD-28"),
    DemoLocalArea("IN-MH-DHARAVI", "Dharavi (demo)", "Informal settlement", "IN-MH"),
    DemoLocalArea("MW-LI-AREA25", "Area 25 (demo)", "Township", "MW-LI"),
    DemoLocalArea("DK-84-NORREBRO", "Nørrebro (demo)", "District", "DK-84"),
)


@dataclass(frozen=True)
class DemoIndicator:
    code: str
    target_code: str
    title: str
    unit: str
    description: str


PERCENT = "PERCENT"
NUMBER = "NUMBER"

CUSTOM_INDICATORS: tuple[DemoIndicator, ...] = (
    DemoIndicator(
        "KE-C-0001",
        "10.2",
        "Proportion of persons with disabilities who took part in ward planning meetings (demo)",
        PERCENT,
        "Share of surveyed adults with disabilities who attended at least one meeting in the year.",
    ),
    DemoIndicator(
        "NP-C-0001",
        "1.3",
        "Proportion of eligible Dalit households receiving their social security allowance (demo)",
        PERCENT,
        "Households entitled to an allowance that received it in full during the period.",
    ),
    DemoIndicator(
        "BD-C-0001",
        "16.7",
        "Proportion of char dwellers who feel heard in local planning (demo)",
        PERCENT,
        "Respondents who agree that their views are taken into account by local planners.",
    ),
    DemoIndicator(
        "DK-C-0001",
        "10.3",
        "Number of reported experiences of discrimination in municipal services (demo)",
        NUMBER,
        "Experiences reported by older persons and refugees during community sessions.",
    ),
)
