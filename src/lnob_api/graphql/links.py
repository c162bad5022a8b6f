"""The to-one links that many types show, each written once: the relation it reads, the column
of the linking row that holds the key, and the type it shows (a ``graphql.lazy`` reference).

``coalition = links.coalition(required=True)`` is ``to_one(coalition_repo.COALITION_BY_ID,
"coalition_id", lazy.Coalition, required=True)``; a link held by another column names it
(``links.organisation("facilitator_organisation_id", description=...)``). A link of one type
to another of its own module, or by another key (a code, a slug), is written with
``linked.to_one``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lnob_api.area import repository as area_repo
from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.graphql import lazy
from lnob_api.graphql.linked import to_one
from lnob_api.organisation import repository as organisation_repo
from lnob_api.project import repository as project_repo
from lnob_api.publication import repository as publication_repo
from lnob_api.read.relations import ToOne
from lnob_api.sdg import repository as sdg_repo

Link = Callable[..., Any]


def _link(relation: ToOne, node: Any, key: str) -> Link:
    """The field maker of a link to ``node`` through ``relation``, held by ``key`` unless told
    otherwise; ``description``, ``required`` and ``name`` are :func:`linked.to_one`'s."""

    def field(
        key: str = key,
        *,
        description: str | None = None,
        required: bool = False,
        name: str | None = None,
    ) -> Any:
        return to_one(relation, key, node, description=description, required=required, name=name)

    return field


area = _link(area_repo.AREA_BY_CODE, lazy.Area, "area_code")
coalition = _link(coalition_repo.COALITION_BY_ID, lazy.Coalition, "coalition_id")
dataset = _link(dataset_repo.DATASET_BY_ID, lazy.Dataset, "dataset_id")
indicator = _link(sdg_repo.INDICATOR_BY_ID, lazy.Indicator, "indicator_id")
organisation = _link(organisation_repo.ORGANISATION_BY_ID, lazy.Organisation, "organisation_id")
project = _link(project_repo.PROJECT_BY_ID, lazy.Project, "project_id")
publication = _link(publication_repo.PUBLICATION_BY_ID, lazy.Publication, "publication_id")
target = _link(sdg_repo.TARGET_BY_CODE, lazy.SdgTarget, "target_code")
