"""The declared entities: Dataset and Publication, one line per column (see ``declare``)."""

from __future__ import annotations

from lnob_api import models
from lnob_api.declare import Entity, Field, Filter, language

DEMO = "True for the demonstration data set."
ROW_VERSION = "Changes on every edit; send it back with an update (optimistic locking)."

DATASET = Entity(
    "Dataset",
    models.Dataset,
    (
        Field("coalition_id", public=False, copied=True),
        Field("project_id", public=False, copied=True),
        Field("slug", copied=True),
        Field("title", copied=True),
        Field("description", copied=True),
        Field("methodology", copied=True),
        Field("collection_start", copied=True),
        Field("collection_end", copied=True),
        Field("area_code", "Geography the dataset covers.", copied=True),
        Field("license", copied=True),
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
)

PUBLICATION = Entity(
    "Publication",
    models.Publication,
    (
        Field("coalition_id", public=False),
        Field("slug"),
        Field("title"),
        Field("description"),
        Field("kind"),
        Field("language", "Language code of the text, e.g. en."),
        Field("published_on"),
        Field("file_url", "Where the file is; null when unknown."),
        Field("visibility"),
        Field("is_demo", DEMO),
        Field("row_version", ROW_VERSION),
    ),
)
