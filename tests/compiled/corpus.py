"""The documents the differential tests send both ways: the bench workloads, the docs'
GraphQL examples, and documents that exercise what the compiled path covers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is not a package of the project
    sys.path.insert(0, str(ROOT))

from bench.workloads import W1_API, W3_API, W4_API, _w2_api_query  # noqa: E402

DATASET_FIELDS = """id slug title description methodology collectionStart collectionEnd
  areaCode license status retractionReason version visibility publishedAt retractedAt createdAt
  updatedAt isDemo rowVersion supersededAt releaseAt metadataVisibility language dataReadable"""
OBSERVATION_FIELDS = """id value suppressed confStatus perturbed unit obsStatus sampleSize
  areaCode period periodStart periodEnd sex age disabilityStatus urbanisation group comment
  updatedAt"""

# name -> (document, variables made from the world)
CORPUS: dict[str, tuple[str, Any]] = {
    "W1": (W1_API, lambda w: {"c": w["a"]["code"]}),
    "W2": (_w2_api_query(100), lambda w: {"i": ["1.1.1"]}),
    "W3": (W3_API, lambda w: {"id": w["gids"]["PUB"]}),
    "W3_hidden": (W3_API, lambda w: {"id": w["gids"]["DRAFT"]}),
    "W3_coalition": (W3_API, lambda w: {"id": w["gids"]["COAL"]}),
    "W3_not_a_dataset": (W3_API, lambda w: {"id": "UHJvamVjdDox"}),
    "W4": (W4_API, lambda w: {"c": [w["a"]["code"]]}),
    "all_dataset_fields": (
        f"query($s: String) {{ dataset(slug: $s) {{ {DATASET_FIELDS} }} }}",
        lambda w: {"s": w["datasets"]["PUB"]["slug"]},
    ),
    "all_observation_fields": (
        f"{{ observations(first: 50) {{ totalCount nodes {{ {OBSERVATION_FIELDS} }} }} }}",
        lambda w: {},
    ),
    "aliases_fragments_typename": (
        """query Q($c: String) { first: coalition(code: $c) { ...C __typename }
        second: coalition(code: $c) { n: name ... on Coalition { code } } }
        fragment C on Coalition { name code projects(first: 1) { __typename
          nodes { __typename t: title } } }""",
        lambda w: {"c": w["a"]["code"]},
    ),
    "merged_fields": (
        """query($c: String) { coalition(code: $c) { name projects { nodes { slug } }
        projects { nodes { title } totalCount } name } }""",
        lambda w: {"c": w["a"]["code"]},
    ),
    "skip_include": (
        """query($c: String, $yes: Boolean!, $no: Boolean!) { coalition(code: $c) {
        name @include(if: $yes) code @include(if: $no) slug @skip(if: $yes)
        description @skip(if: $no) projects(first: 2) @include(if: $yes) { totalCount } } }""",
        lambda w: {"c": w["a"]["code"], "yes": True, "no": False},
    ),
    "edges_page_info": (
        """query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 2) { totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
        edges { cursor node { id slug } __typename } } }""",
        lambda w: {"c": [w["a"]["code"]]},
    ),
    "backward": (
        """query($c: [String!]) { datasets(filter: {coalitions: $c}, last: 2) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        nodes { slug } } }""",
        lambda w: {"c": [w["a"]["code"]]},
    ),
    "empty_page": (
        """{ datasets(first: 0) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor } nodes { slug } totalCount } }""",
        lambda w: {},
    ),
    "nested_filtered": (
        """query($c: String) { coalition(code: $c) { datasets(first: 10) { totalCount nodes {
        slug dataReadable observations(first: 1, filter: {sex: ["M"]}) { totalCount
        pageInfo { hasNextPage endCursor } nodes { value suppressed sex } } } } } }""",
        lambda w: {"c": w["a"]["code"]},
    ),
    "indicator_titles": (
        """{ indicator(code: "1.1.1") { code title fr: title(lang: "fr") isCustom
        target { code title goal { code title shortTitle } } } }""",
        lambda w: {},
    ),
    "project": (
        """query($s: String!) { project(slug: $s) { title status startDate visibility
        coalition { name } datasets(first: 3) { totalCount nodes { slug project { slug } } } } }""",
        lambda w: {"s": w["project"]["slug"]},
    ),
    "observation_relations": (
        """{ observations(first: 5) { nodes { dataset { slug title coalition { code } }
        indicator { code } area { code name level } } } }""",
        lambda w: {},
    ),
    "groups_and_their_coalition": (
        """query($c: String) { coalition(code: $c) { code groups { code name
        coalition { code } } projects(first: 2) { nodes { groups { code coalition { slug } } } } } }""",
        lambda w: {"c": w["a"]["code"]},
    ),
    "reference_roots": (
        """query($a: String!) { area(code: $a) { code name parent { code } coalition { slug } }
        lower: area(code: "ke") { code } sdgGoal(code: 10) { code title targets { code } }
        sdgTarget(code: " 10.2 ") { code goal { code } } noGoal: sdgGoal(code: 18) { code }
        bySlug: coalition(slug: "no-such-coalition") { code } } """,
        lambda w: {"a": w["a"]["code"]},
    ),
    "odd_values": (
        """query($s: String) { dataset(slug: $s) { title description
        observations(first: 20) { nodes { value comment } } } }""",
        lambda w: {"s": w["odd"]["slug"]},
    ),
}

# Documents that must be compiled (not handed back) for every principal.
COMPILED = tuple(name for name in CORPUS if name != "merged_fields")


def doc_queries() -> list[str]:
    """The GraphQL queries of README.md and docs/*.md (tests/docs/blocks.py finds them)."""
    from tests.docs.blocks import all_blocks

    found = []
    for block in all_blocks():
        if block.kind != "runnable" or not block.info.startswith("graphql"):
            continue
        body = block.body.strip()
        if body.startswith("mutation") or body.startswith("subscription"):
            continue
        found.append(body)
    return found
