"""The declared entities, one line per column (see ``declare``), most used first.

A field's first string describes it on the GraphQL type; an ``Edit`` says how the create and
update mutations set it (their descriptions, when an input describes it otherwise).
"""

from __future__ import annotations

from lnob_api import models
from lnob_api.declare import DESCRIPTION_MAX, Edit, Entity, Field, Filter, language

DEMO = "True for the demonstration data set."
ROW_VERSION = "Changes on every edit; send it back with an update (optimistic locking)."
# A create's slug: made from the name (or title) unless given; never changed by an update.
SLUG_FROM_NAME = Edit(update=False, required=False, created="Default: from the name.")
SLUG_FROM_TITLE = Edit(update=False, required=False, created="Default: from the title.")
DESCRIPTION = Edit(limit=DESCRIPTION_MAX)

COALITION = Entity(
    "Coalition",
    models.Coalition,
    (
        Field(
            "code",
            "ISO 3166-1 alpha-2 code of the country.",
            editable=Edit(
                update=False,
                created="ISO 3166-1 alpha-2 code of a country that has no coalition yet.",
            ),
        ),
        Field(
            "slug",
            editable=Edit(limit=80, update=False, required=False, created=SLUG_FROM_NAME.created),
        ),
        Field("name", editable=Edit(limit=300)),
        Field("description", editable=Edit(limit=DESCRIPTION_MAX, admins=True)),
        Field("launched_year", editable=True),
        Field("cohort", editable=Edit(limit=40, created="e.g. 2018 pilot.")),
        Field(
            "suppression_threshold",
            "Observations with a sample size under this are withheld from outsiders.",
            editable=Edit(
                created="Smallest sample size shown to outsiders (default 5).", admins=True
            ),
        ),
        Field(
            "requires_community_validation",
            "Datasets are published only after the community validated them.",
            editable=Edit(
                create=False,
                updated="Publish only datasets the community validated (coalition admins).",
                admins=True,
            ),
        ),
        Field(
            "perturbation",
            "What outsiders read of the coalition's counts, after suppression: exact (NONE),"
            " randomly rounded to base 3 or 5, or with cell-key noise (perturbationTable).",
            editable=Edit(
                created="Perturbation of the counts outsiders read (default NONE).",
                updated="Perturbation of the counts outsiders read, after suppression: NONE,"
                " ROUND_3, ROUND_5 or CELL_KEY (coalition admins). Insiders always read exact"
                " values.",
                admins=True,
            ),
        ),
        Field(
            "rate_share",
            "Protection interval of rates and means: an attacker must not narrow a small"
            " group's numerator below this share of it on either side.",
            editable=Edit(
                created="Protection of rates and means: this share of the numerator on each"
                " side (default 0.1).",
                updated="Protection interval of rates and means: this share of the numerator on"
                " each side, from 0 up to (not including) 1 (coalition admins).",
                admins=True,
            ),
        ),
        Field("row_version", ROW_VERSION),
    ),
    inputs=("code", "name", "slug"),
    description="A country coalition of the partnership; it owns its data.",
)

ORGANISATION = Entity(
    "Organisation",
    models.Organisation,
    (
        Field(
            "slug",
            editable=Edit(limit=80, update=False, required=False, created=SLUG_FROM_NAME.created),
        ),
        Field("name", editable=Edit(limit=300)),
        Field("kind", editable=Edit(created="Default OTHER.")),
        Field(
            "country_code",
            editable=Edit(name="country", created="ISO 3166-1 alpha-2 code of its home country."),
        ),
        Field("website", editable=Edit(limit=500)),
        Field("description", editable=DESCRIPTION),
        Field("row_version", ROW_VERSION),
    ),
    inputs=("name", "slug"),
    description="An ICSO, national NGO, civic platform, community-based organisation,"
    " statistics agency or other body.",
)

PROJECT = Entity(
    "Project",
    models.Project,
    (
        Field("coalition_id", public=False),
        Field(
            "slug",
            editable=Edit(limit=120, update=False, required=False, created=SLUG_FROM_TITLE.created),
        ),
        Field("title", editable=Edit(limit=300)),
        Field("description", editable=DESCRIPTION),
        Field("status", editable=Edit(created="Default ACTIVE.")),
        Field("start_date", editable=True),
        Field("end_date", editable=True),
        Field("visibility"),
        Field("row_version", ROW_VERSION),
    ),
    inputs=("title", "slug"),
    description="A coalition's data project (e.g. the Making Voices Heard and Count pilot).",
)

DATASET = Entity(
    "Dataset",
    models.Dataset,
    (
        Field("coalition_id", public=False, copied=True),
        # The inputs write these fields themselves (graphql.dataset.mutations); the slug is the
        # create's own argument (its limit: dataset.service.SLUG_MAX).
        Field("project_id", public=False, copied=True, editable=Edit(name="project")),
        Field("slug", copied=True),
        Field("title", copied=True, editable=Edit(limit=300)),
        Field("description", copied=True, editable=True),
        Field("methodology", copied=True, editable=True),
        Field("collection_start", copied=True, editable=True),
        Field("collection_end", copied=True, editable=True),
        Field(
            "area_code", "Geography the dataset covers.", copied=True, editable=Edit(name="area")
        ),
        Field("license", copied=True, editable=Edit(limit=60)),
        Field("status"),
        Field("retraction_reason"),
        Field("version"),
        Field("visibility", copied=True),
        Field("published_at"),
        Field("retracted_at"),
        Field("created_at"),
        Field("updated_at"),
        Field("is_demo", DEMO, copied=True),
        Field("row_version", ROW_VERSION),
        Field("superseded_at", "When a newer published version replaced this one."),
        Field("lineage_id", public=False, copied=True),
        # Provenance: exposed through ``provenance``, copied by ``provenance.dataset``.
        Field("producer_type", public=False),
        Field("method", public=False),
        Field("sampling", public=False),
        Field("sampling_note", public=False),
        Field("sample_size", public=False),
        Field("washington_group", public=False),
        Field("sdg_framework_version", public=False),
        Field("release_at", "Embargo: outside the coalition nobody sees it before this instant."),
        Field(
            "metadata_visibility",
            "Who sees the description when it is shown more widely than the data.",
            copied=True,
        ),
        Field(
            "language",
            "Language of the title and description: a BCP 47 tag such as en or sw-KE.",
            copied=True,
            editable=True,
            check=language.tag,
            filter=Filter("languages", "member", "BCP 47 tags, any of them.", "language"),
            csv="language",
            sdmx=("LANGUAGE", "Language of the dataset"),
            dcat=("dct:language", language.linguistic_system),
        ),
    ),
    description="A coherent body of community-driven data from one project.",
)

PUBLICATION = Entity(
    "Publication",
    models.Publication,
    (
        Field("coalition_id", public=False),
        Field(
            "slug",
            editable=Edit(limit=160, update=False, required=False, created=SLUG_FROM_TITLE.created),
        ),
        Field("title", editable=Edit(limit=300)),
        Field("description", editable=DESCRIPTION),
        Field("kind", editable=True),
        Field(
            "language",
            "Language of the text: a BCP 47 tag such as en or sw-KE.",
            editable=Edit(limit=12, created="Default en."),
            check=language.tag,
            filter=Filter("languages", "member", "BCP 47 tags, any of them."),
            dcat=("dct:language", language.linguistic_system),
        ),
        Field("published_on", editable=True),
        Field("file_url", "Where the file is; null when unknown.", editable=Edit(limit=1000)),
        Field("visibility"),
        Field("is_demo", DEMO),
        Field("row_version", ROW_VERSION),
    ),
    inputs=("kind", "title", "slug"),
    description="A flyer, country summary, recommendations, policy brief or report.",
)

OFFICIAL_TITLE = "The official title, localized."

SDG_GOAL = Entity(
    "SdgGoal",
    models.SdgGoal,
    (
        Field("code"),
        Field("title", OFFICIAL_TITLE, localized="title_translations"),
        Field(
            "short_title",
            "A short name such as 'No poverty', localized.",
            localized="short_title_translations",
        ),
        Field("title_translations", public=False),
        Field("short_title_translations", public=False),
    ),
    description="One of the 17 Sustainable Development Goals.",
)

SDG_TARGET = Entity(
    "SdgTarget",
    models.SdgTarget,
    (
        Field("code"),
        Field("goal_code", public=False),
        Field("title", OFFICIAL_TITLE, localized="title_translations"),
        Field("title_translations", public=False),
    ),
    description="One of the 169 SDG targets, such as 10.2.",
)

INDICATOR = Entity(
    "Indicator",
    models.Indicator,
    (
        Field("code"),
        Field(
            "target_code",
            editable=Edit(name="target", created="The SDG target it monitors, e.g. 1.2."),
        ),
        Field("description", editable=DESCRIPTION),
        Field("unit", editable=Edit(limit=80, created="e.g. PERCENT, NUMBER.")),
        Field("tier"),
        Field("unsd_code", "UNSD's id; shared by repeats of one indicator."),
        Field("framework_version"),
        Field("coalition_id", public=False),
        Field("row_version", ROW_VERSION),
        Field("title", OFFICIAL_TITLE, editable=Edit(limit=500), localized="title_translations"),
        Field("title_translations", public=False),
    ),
    inputs=("target_code", "title", "unit", "description"),
    description="A global SDG indicator (1.1.1) or a coalition's custom one (KE-C-0001).",
)

AREA = Entity(
    "Area",
    models.Area,
    (
        Field("code", "ISO code (KE, KE-30) or a local code under it."),
        Field("name", editable=Edit(limit=300)),
        Field("level"),
        Field(
            "type",
            "The kind of area as ISO names it (County, District) or a local kind (Ward).",
            editable=Edit(limit=80, created="e.g. Ward, Village."),
        ),
        Field("country_code", "ISO 3166-1 alpha-2 code of the country."),
        Field("parent_code", public=False),
        Field("ancestors", public=False),
        Field("coalition_id", public=False),
        Field(
            "updated_at",
            "When it last changed; send it back with localAreaUpdate (optimistic locking).",
        ),
    ),
    description="A country (ISO 3166-1), a subdivision (ISO 3166-2) or a local area "
    "(ward, village) that a coalition registered under a subdivision.",
)

ACCESS_REQUEST = Entity(
    "AccessRequest",
    models.AccessRequest,
    (
        Field("dataset_id", public=False),
        Field("coalition_id", public=False),
        Field("organisation_id", public=False),
        Field("requester_user_id", public=False),
        Field("requester_client_id", public=False),
        Field("status"),
        Field(
            "purpose",
            "What the requester will use the data for.",
            editable=Edit(limit=4000, created="What you will use the data for."),
        ),
        Field(
            "requester_name", "Who is asking.", editable=Edit(limit=200, created="Default: yours.")
        ),
        Field(
            "requester_email",
            "Where to reach them.",
            editable=Edit(limit=320, created="Default: yours."),
        ),
        Field("expires_at", "When approved: the moment the access granted ends."),
        Field(
            "decision_note",
            "The approver's note, or the reason the request was declined.",
            # Set by the decision (accessRequestDecline's reason, accessRequestApprove's note).
            editable=Edit(limit=2000, create=False, update=False),
        ),
        Field("decided_at", "When it was approved, declined or withdrawn."),
        Field("created_at"),
        Field("updated_at"),
    ),
    description="A request for the data of a dataset whose description the requester sees. "
    "Seen by the requester and by the admins of the dataset's coalition.",
)

NOTIFICATION = Entity(
    "Notification",
    models.Notification,
    (
        Field("access_request_id", public=False),
        Field("kind"),
        Field("message"),
        Field("created_at"),
        Field("read_at", "When you marked it read."),
    ),
    description="A message to you (a user or a client); only you see it.",
)

QUALITY_CRITERION = Entity(
    "QualityCriterion",
    models.QualityCriterion,
    (
        Field("coalition_id", public=False),
        Field(
            "code",
            "Unique within the coalition, such as NSO-1.",
            editable=Edit(limit=40, created="Unique in the coalition, such as NSO-1."),
        ),
        Field("label", editable=Edit(limit=300)),
        Field("description", editable=DESCRIPTION),
        Field(
            "row_version",
            "Changes on every edit; send it back with an update (optimistic locking).",
        ),
    ),
    description="One item of a coalition's quality checklist, such as a statistics office's "
    "criteria for citizen-generated data.",
)
