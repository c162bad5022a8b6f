"""The hostile-input table: every case is a request that a bot, a fuzzer or a buggy client
could send, with the answer it must get. Built from small tables (targets x bad values) so
that each argument type, filter, export and SDMX parameter, header and body shape is covered.

``statuses`` lists the acceptable HTTP statuses; ``code`` is the GraphQL ``extensions.code``
every error must carry (None: no GraphQL check; "" : the request must succeed without errors).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from lnob_api.export.filters import PARAMETERS

BAD = "BAD_USER_INPUT"
# Either BAD_USER_INPUT errors, or no error and null for the field (a key that names nothing).
BAD_OR_NULL = "BAD_OR_NULL"
# Placeholders in bodies, replaced by the world's coalition code and OAuth client id.
COALITION = "%A%"
CLIENT = "%CLIENT%"


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    url: str
    statuses: tuple[int, ...]
    code: str | None = None
    who: str = "anonymous"
    body: bytes | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    # A GraphQL case is refused when it holds an error with this code (and the status fits).


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def gql(
    id: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    code: str = BAD,
    who: str = "anonymous",
    statuses: tuple[int, ...] = (200, 400),
) -> Case:
    body = _json({"query": query, "variables": variables or {}})
    headers = {"content-type": "application/json"}
    return Case(id, "POST", "/graphql", statuses, code, who, body, headers)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- GraphQL: strings --------------------------------------------------------------------------

# Values no PostgreSQL text column can hold, or that are not Unicode at all.
BAD_STRINGS = {"nul": "a\x00b", "high_surrogate": "x\ud800", "low_surrogate": "\udfffy"}
# The same, as GraphQL string literal escapes.
BAD_LITERALS = {"nul": "a\\u0000b", "high_surrogate": "x\\uD800", "low_surrogate": "\\uDFFFy"}

# (name, variable type, field selection using $v) for every kind of string argument.
STRING_TARGETS = [
    ("coalition_code", "String", "coalition(code: $v) { id }"),
    ("coalition_slug", "String", "coalition(slug: $v) { id }"),
    ("organisation_slug", "String!", "organisation(slug: $v) { id }"),
    ("project_slug", "String!", "project(slug: $v) { id }"),
    ("dataset_slug", "String", "dataset(slug: $v) { id }"),
    ("publication_slug", "String", "publication(slug: $v) { id }"),
    ("indicator_code", "String!", "indicator(code: $v) { id }"),
    ("target_code", "String!", "sdgTarget(code: $v) { code }"),
    ("area_code", "String!", "area(code: $v) { code }"),
    ("groups_country", "String", "marginalisedGroups(country: $v) { totalCount }"),
    ("series_indicator", "String!", "indicatorSeries(indicator: $v) { area { code } }"),
    ("comparison_indicator", "String!", "comparison(indicator: $v) { period }"),
    ("obs_period_from", "String", "observations(filter: { periodFrom: $v }) { totalCount }"),
    ("obs_period_to", "String", "observations(filter: { periodTo: $v }) { totalCount }"),
    ("obs_indicators", "String!", "observations(filter: { indicators: [$v] }) { totalCount }"),
    ("obs_targets", "String!", "observations(filter: { targets: [$v] }) { totalCount }"),
    ("obs_areas", "String!", "observations(filter: { areas: [$v] }) { totalCount }"),
    ("obs_sex", "String!", "observations(filter: { sex: [$v] }) { totalCount }"),
    ("obs_age", "String!", "observations(filter: { age: [$v] }) { totalCount }"),
    (
        "obs_disability",
        "String!",
        "observations(filter: { disabilityStatus: [$v] }) { totalCount }",
    ),
    ("obs_urbanisation", "String!", "observations(filter: { urbanisation: [$v] }) { totalCount }"),
    ("obs_group", "String!", "observations(filter: { group: [$v] }) { totalCount }"),
    ("obs_criteria", "String!", "observations(filter: { meetsCriteria: [$v] }) { totalCount }"),
    ("datasets_search", "String", "datasets(filter: { search: $v }) { totalCount }"),
    ("datasets_coalitions", "String!", "datasets(filter: { coalitions: [$v] }) { totalCount }"),
    ("datasets_groups", "String!", "datasets(filter: { groups: [$v] }) { totalCount }"),
    ("datasets_indicators", "String!", "datasets(filter: { indicators: [$v] }) { totalCount }"),
    ("quality_criteria", "String!", "qualityCriteria(coalitions: [$v]) { totalCount }"),
    ("coalitions_after", "String", "coalitions(after: $v) { totalCount }"),
    ("datasets_before", "String", "datasets(last: 2, before: $v) { totalCount }"),
    ("node_id", "ID!", "node(id: $v) { id }"),
    ("nodes_ids", "ID!", "nodes(ids: [$v]) { id }"),
    ("dataset_id", "ID", "dataset(id: $v) { id }"),
]


def _string_cases() -> list[Case]:
    cases = []
    for name, type_, selection in STRING_TARGETS:
        for bad, value in BAD_STRINGS.items():
            query = f"query($v: {type_}) {{ {selection} }}"
            cases.append(gql(f"gql-var-{name}-{bad}", query, {"v": value}))
        for bad, literal in BAD_LITERALS.items():
            query = "{ " + selection.replace("$v", f'"{literal}"') + " }"
            # A lone surrogate escape does not even lex (GraphQL spec, String Value).
            code = BAD if bad == "nul" else "GRAPHQL_PARSE_FAILED"
            cases.append(gql(f"gql-literal-{name}-{bad}", query, code=code))
    return cases


# Mutation inputs (an editor of coalition A): text fields and ids.
MUTATIONS = [
    (
        "dataset_create_title",
        'mutation($v: String!) { datasetCreate(input: { coalition: "%A%", title: $v }) '
        "{ userErrors { code } } }",
    ),
    (
        "dataset_create_slug",
        'mutation($v: String) { datasetCreate(input: { coalition: "%A%", title: "T", '
        "slug: $v }) { userErrors { code } } }",
    ),
    (
        "dataset_create_coalition",
        'mutation($v: String!) { datasetCreate(input: { coalition: $v, title: "T" }) '
        "{ userErrors { code } } }",
    ),
    (
        "dataset_create_project",
        'mutation($v: ID) { datasetCreate(input: { coalition: "%A%", title: "T", '
        "project: $v }) { userErrors { code } } }",
    ),
]


def _mutation_cases() -> list[Case]:
    cases = []
    for name, query in MUTATIONS:
        for bad, value in BAD_STRINGS.items():
            cases.append(gql(f"mutation-{name}-{bad}", query, {"v": value}, who="editor"))
    return cases


# --- GraphQL: numbers, ids, cursors, enums --------------------------------------------------------

INT_LIMITS = [2147483647, 32768, -32769, 2**31, 2**70, -(2**63) - 1]


def _number_cases() -> list[Case]:
    cases = []
    for n in INT_LIMITS:
        cases.append(
            gql(f"sdg-goal-var-{n}", "query($c: Int!) { sdgGoal(code: $c) { code } }", {"c": n})
        )
        cases.append(gql(f"sdg-goal-literal-{n}", f"{{ sdgGoal(code: {n}) {{ code }} }}"))
        cases.append(gql(f"sdg-targets-goal-{n}", f"{{ sdgTargets(goal: {n}) {{ totalCount }} }}"))
        cases.append(
            gql(
                f"datasets-goals-{n}",
                f"{{ datasets(filter: {{ goals: [{n}] }}) {{ totalCount }} }}",
            )
        )
        cases.append(gql(f"first-{n}", f"{{ coalitions(first: {n}) {{ totalCount }} }}"))
    for literal in ("1e309", "-1e309", "1.5", '"1"', "true"):
        cases.append(
            gql(f"first-literal-{literal}", f"{{ datasets(first: {literal}) {{ totalCount }} }}")
        )
    cases.append(gql("first-literal-null", "{ datasets(first: null) { totalCount } }", code=""))
    for raw in ("-0", "1.0"):
        body = (
            b'{"query":"query($f: Int) { datasets(first: $f) { totalCount } }","variables":{"f":'
            + raw.encode()
            + b"}}"
        )
        cases.append(
            Case(f"first-json-{raw}", "POST", "/graphql", (200,), "", body=body, headers=JSON_CT)
        )
    for raw in ("1e309", "NaN", "Infinity", '"2"', "[1]", "{}"):
        body = (
            b'{"query":"query($f: Int) { datasets(first: $f) { totalCount } }","variables":{"f":'
            + raw.encode()
            + b"}}"
        )
        cases.append(
            Case(
                f"first-json-{raw}",
                "POST",
                "/graphql",
                (200, 400),
                BAD,
                body=body,
                headers={"content-type": "application/json"},
            )
        )
    return cases


FORGED_IDS = {
    "dataset-2^70": b64(f"Dataset:{2**70}"),
    "dataset-2^63": b64(f"Dataset:{2**63}"),
    "dataset-negative": b64("Dataset:-1"),
    "dataset-exponent": b64("Dataset:1e3"),
    "dataset-arabic-digits": b64("Dataset:\u0663\u0664"),
    "dataset-empty-key": b64("Dataset:"),
    "dataset-nul-key": b64("Dataset:1\x00"),
    "coalition-2^70": b64(f"Coalition:{2**70}"),
    "organisation-2^70": b64(f"Organisation:{2**70}"),
    "project-2^70": b64(f"Project:{2**70}"),
    "observation-2^70": b64(f"Observation:{2**70}"),
    "publication-2^70": b64(f"Publication:{2**70}"),
    "not-base64": "%%%",
    "base64-of-bytes": base64.b64encode(b"\xff\xfe:\x00").decode(),
    "huge": b64("Dataset:" + "9" * 5000),
}


def _id_cases() -> list[Case]:
    cases = [
        gql(
            "node-unknown-type",
            "query($v: ID!) { node(id: $v) { id } }",
            {"v": b64("Nope:1")},
            code="",
        ),
        # Within a bigint: a well-formed id that names nothing.
        gql(
            "node-dataset-2^31",
            "query($v: ID!) { node(id: $v) { id } }",
            {"v": b64(f"Dataset:{2**31}")},
            code="",
        ),
        gql(
            "obs-datasets-dataset-2^31",
            "query($v: ID!) { observations(filter: { datasets: [$v] }) { totalCount } }",
            {"v": b64(f"Dataset:{2**31}")},
            code="",
        ),
    ]
    for name, value in FORGED_IDS.items():
        cases.append(
            gql(
                f"node-{name}",
                "query($v: ID!) { node(id: $v) { id } }",
                {"v": value},
                code=BAD_OR_NULL,
            )
        )
        cases.append(
            gql(
                f"dataset-id-{name}",
                "query($v: ID) { dataset(id: $v) { id } }",
                {"v": value},
                code=BAD_OR_NULL,
            )
        )
        cases.append(
            gql(
                f"obs-datasets-{name}",
                "query($v: ID!) { observations(filter: { datasets: [$v] }) { totalCount } }",
                {"v": value},
            )
        )
        cases.append(
            gql(
                f"scorecard-{name}",
                "query($v: ID!) { scorecard(id: $v) { id } }",
                {"v": value},
                code=BAD_OR_NULL,
            )
        )
    return cases


FORGED_CURSORS = {
    "inf": b64url("[1e309]"),
    "string": b64url('["x"]'),
    "2^70": b64url(f"[{2**70}]"),
    "null": b64url("[null]"),
    "bool": b64url("[true]"),
    "object": b64url('[{"x": 1}]'),
    "bad-time": b64url('[{"t": "yesterday"}]'),
    "nested": b64url("[[1]]"),
    "wide": b64url("[1, 2, 3, 4, 5]"),
    "empty": b64url("[]"),
    "not-json": b64url("{"),
    "not-base64": "***",
    "nul": b64url('["\\u0000"]'),
    "surrogate": b64url('["\\ud800"]'),
    "deep": b64url("[" * 5000 + "]" * 5000),
}


def _cursor_cases() -> list[Case]:
    cases = []
    lists = {
        "coalitions": "coalitions(after: $c) { totalCount }",
        "datasets": "datasets(after: $c) { nodes { id } }",
        "datasets-by-title": "datasets(orderBy: TITLE, after: $c) { nodes { id } }",
        "observations": "observations(after: $c) { nodes { id } }",
        "indicators": "indicators(last: 1, before: $c) { nodes { id } }",
    }
    for list_name, selection in lists.items():
        for name, cursor in FORGED_CURSORS.items():
            query = f"query($c: String) {{ {selection} }}"
            # A text cursor is well formed for lists ordered by a text column (code, sort key).
            code = None if name == "string" and list_name in ("coalitions", "indicators") else BAD
            cases.append(gql(f"cursor-{list_name}-{name}", query, {"c": cursor}, code=code or ""))
    return cases


def _enum_cases() -> list[Case]:
    return [
        gql(
            "enum-status-lower-literal",
            "{ datasets(filter: { statuses: [published] }) { totalCount } }",
        ),
        gql(
            "enum-status-lower-var",
            "query($s: [DatasetStatus!]) { datasets(filter: { statuses: $s }) { totalCount } }",
            {"s": ["published"]},
        ),
        gql(
            "enum-producer-var",
            "query($p: [ProducerType!]) { observations(filter: { producerTypes: $p }) { totalCount } }",
            {"p": ["community_driven"]},
        ),
        gql("enum-order-string", 'query { datasets(orderBy: "TITLE") { totalCount } }'),
        gql(
            "enum-order-int",
            "query($o: DatasetOrder!) { datasets(orderBy: $o) { totalCount } }",
            {"o": 1},
        ),
        gql(
            "boolean-as-string", 'query { marginalisedGroups(includeShared: "yes") { totalCount } }'
        ),
        gql(
            "datetime-garbage",
            'query { datasets(filter: { updatedSince: "yesterday" }) { totalCount } }',
        ),
        gql(
            "datetime-year-99999",
            'query { datasets(filter: { updatedSince: "99999-01-01T00:00:00Z" }) { totalCount } }',
        ),
        gql(
            "datetime-nul",
            "query($d: DateTime) { datasets(filter: { updatedSince: $d }) { totalCount } }",
            {"d": "2020-01-01\x00"},
        ),
        gql(
            "removed-since-garbage", 'query { removedDatasets(since: "0000-00-00") { totalCount } }'
        ),
        gql(
            "too-many-ids", "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * 101}
        ),
    ]


# --- GraphQL over HTTP: bodies, methods, documents ------------------------------------------------

JSON_CT = {"content-type": "application/json"}


def _body(
    id: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    statuses: tuple[int, ...] = (400,),
    code: str | None = BAD,
) -> Case:
    return Case(
        id,
        "POST",
        "/graphql",
        statuses,
        code,
        body=body,
        headers=headers if headers is not None else JSON_CT,
    )


def _body_cases() -> list[Case]:
    deep_list = b"[" * 100_000 + b"]" * 100_000
    deep_object = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    deep_variables = (
        b'{"query":"{ __typename }","variables":{"v":' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    )
    return [
        _body("body-bare-string", b'"hello"'),
        _body("body-bare-number", b"42"),
        _body("body-bare-true", b"true"),
        _body("body-bare-null", b"null"),
        _body("body-empty-array", b"[]"),
        _body("body-batch", b'[{"query":"{ __typename }"},{"query":"{ __typename }"}]'),
        _body("body-empty", b""),
        _body("body-truncated", b'{"query":'),
        _body("body-trailing-garbage", b'{"query":"{ __typename }"} x'),
        _body("body-invalid-utf8", b'{"query":"{ coalition(code: \\"\xff\\") { id } }"}'),
        _body("body-utf16", '{"query":"{ __typename }"}'.encode("utf-16")),
        _body("body-deep-list", deep_list),
        _body("body-deep-object", deep_object),
        _body("body-deep-variables", deep_variables),
        _body("body-query-number", b'{"query": 1}'),
        _body("body-query-object", b'{"query": {"a": 1}}'),
        _body("body-no-query", b'{"variables": {}}'),
        _body("body-null-query", b'{"query": null}'),
        _body("body-variables-array", b'{"query":"{ __typename }","variables":[1]}'),
        _body("body-variables-string", b'{"query":"{ __typename }","variables":"{}"}'),
        _body("body-extensions-array", b'{"query":"{ __typename }","extensions":[]}'),
        _body("body-operation-name-number", b'{"query":"{ __typename }","operationName":5}'),
        _body(
            "body-unknown-operation",
            b'{"query":"query A { __typename }","operationName":"B"}',
            statuses=(200,),
        ),
        _body(
            "body-two-operations",
            b'{"query":"query A { __typename } query B { __typename }"}',
            statuses=(200,),
        ),
        _body(
            "body-nan-variable",
            b'{"query":"query($x: Float) { __typename }","variables":{"x":NaN}}',
        ),
        _body(
            "body-huge-number",
            b'{"query":"{ __typename }","variables":{"x":1' + b"0" * 5000 + b"}}",
            statuses=(200, 400),
            code=None,
        ),
        _body("body-nul-in-document", _json({"query": "{ __typename \x00 }"})),
        _body("body-surrogate-in-document", _json({"query": "{ __typename } # \ud800"})),
        _body("body-nul-in-comment", _json({"query": "{ __typename } # \x00"})),
        _body(
            "body-nul-operation-name",
            _json({"query": "query A { __typename }", "operationName": "A\x00"}),
        ),
        _body(
            "body-surrogate-variable-key",
            _json({"query": "{ __typename }", "variables": {"\ud800": 1}}),
        ),
        _body(
            "body-nul-extension", _json({"query": "{ __typename }", "extensions": {"x": "\x00"}})
        ),
        _body(
            "body-syntax-error",
            _json({"query": "{ coalitions { "}),
            code="GRAPHQL_PARSE_FAILED",
            statuses=(200,),
        ),
        _body("body-unknown-field", _json({"query": "{ nope }"}), statuses=(200,)),
        _body(
            "ct-text-plain",
            b'{"query":"{ __typename }"}',
            {"content-type": "text/plain"},
            statuses=(415,),
        ),
        _body("ct-none", b'{"query":"{ __typename }"}', {}, statuses=(415,)),
        _body(
            "ct-form",
            b"query=%7B__typename%7D",
            {"content-type": "application/x-www-form-urlencoded"},
            statuses=(415,),
        ),
        _body(
            "ct-graphql",
            b"{ __typename }",
            {"content-type": "application/graphql"},
            statuses=(415,),
        ),
        _body(
            "ct-json-latin1",
            b'{"query":"{ __typename }"}',
            {"content-type": "application/json; charset=latin-1"},
            statuses=(200, 415),
            code=None,
        ),
        _body(
            "ct-json-garbage-params",
            b'{"query":"{ __typename }"}',
            {"content-type": "application/json; ;;=;x"},
            statuses=(200, 400, 415),
            code=None,
        ),
        _body(
            "ct-multipart-no-preflight",
            b"--x\r\n\r\n--x--\r\n",
            {"content-type": "multipart/form-data; boundary=x"},
            statuses=(400,),
        ),
        _body(
            "ct-multipart-broken",
            b"garbage",
            {"content-type": "multipart/form-data; boundary=x", "apollo-require-preflight": "1"},
            statuses=(400,),
        ),
        _body(
            "ct-multipart-no-boundary",
            b"garbage",
            {"content-type": "multipart/form-data", "apollo-require-preflight": "1"},
            statuses=(400,),
        ),
        Case(
            "get-mutation",
            "GET",
            "/graphql?query=" + quote("mutation { __typename }"),
            (405,),
            BAD,
            headers={"accept": "application/json"},
        ),
        Case(
            "get-no-query", "GET", "/graphql", (400,), BAD, headers={"accept": "application/json"}
        ),
        Case(
            "get-variables-not-json",
            "GET",
            "/graphql?query=%7B__typename%7D&variables=%7B",
            (400,),
            BAD,
            headers={"accept": "application/json"},
        ),
        Case(
            "get-nul-query",
            "GET",
            "/graphql?query=%7B__typename%00%7D",
            (400,),
            BAD,
            headers={"accept": "application/json"},
        ),
        Case(
            "get-invalid-utf8",
            "GET",
            "/graphql?query=%7B__typename%FF%7D",
            (400,),
            BAD,
            headers={"accept": "application/json"},
        ),
        Case("put", "PUT", "/graphql", (405,), None, body=b"{}", headers=JSON_CT),
        Case("delete", "DELETE", "/graphql", (405,), None),
    ]


# --- CSV export ------------------------------------------------------------------------------

# Every parameter the CSV export reads (its own list, so a new one is attacked too).
EXPORT_PARAMETERS = PARAMETERS
# Raw (already percent-encoded) values that no parameter accepts.
BAD_QUERY_VALUES = {"nul": "a%00b", "invalid-utf8": "%FF%FE", "encoded-surrogate": "%ED%A0%80"}


def _export_cases() -> list[Case]:
    cases = []
    for path in ("/exports/observations.csv", "/exports/observations.csv.gz"):
        suffix = "gz" if path.endswith("gz") else "csv"
        for name in EXPORT_PARAMETERS:
            for bad, raw in BAD_QUERY_VALUES.items():
                cases.append(
                    Case(f"export-{suffix}-{name}-{bad}", "GET", f"{path}?{name}={raw}", (400,))
                )
    specifics = {
        "producer-lowercase": "producerType=community_driven",
        "producer-unknown": "producerType=COMMUNITY",
        "method-unknown": "method=telepathy",
        "washington-maybe": "washingtonGroup=maybe",
        "updated-garbage": "updatedSince=yesterday",
        "updated-year-99999": "updatedSince=99999-01-01",
        "period-month-13": "periodFrom=2019-13",
        "dataset-2^70": "dataset=" + quote(b64(f"Dataset:{2**70}")),
        "dataset-2^31": "dataset=" + quote(b64(f"Dataset:{2**31}")),
        "unknown-parameter-nul": "fo%00o=1",
        "too-many-values": "indicator=" + ",".join(["1.1.1"] * 501),
        "repeated-period": "periodFrom=2019&periodFrom=2020",
        "empty-indicator": "indicator=",
        "long-value": "area=" + "K" * 20000,
    }
    for name, query in specifics.items():
        cases.append(Case(f"export-{name}", "GET", f"/exports/observations.csv?{query}", (400,)))
    return cases


# --- SDMX and the catalog ---------------------------------------------------------------------


def _sdmx_cases() -> list[Case]:
    cases = []
    for bad, raw in BAD_QUERY_VALUES.items():
        cases += [
            Case(f"sdmx-flow-{bad}", "GET", f"/sdmx/data/DF_{raw}", (400, 404)),
            Case(f"sdmx-key-{bad}", "GET", f"/sdmx/data/DF_LNOB_UG/1_1_1.{raw}.....", (400, 404)),
            Case(f"sdmx-provider-{bad}", "GET", f"/sdmx/data/DF_LNOB_UG/all/{raw}", (400, 404)),
            Case(f"sdmx-resource-{bad}", "GET", f"/sdmx/{raw}", (400, 404)),
            Case(f"sdmx-agency-{bad}", "GET", f"/sdmx/dataflow/{raw}", (400, 404)),
            Case(f"sdmx-id-{bad}", "GET", f"/sdmx/codelist/LNOB/{raw}", (400, 404)),
            Case(f"sdmx-version-{bad}", "GET", f"/sdmx/codelist/LNOB/CL_AREA/{raw}", (400, 404)),
        ]
        for name in (
            "startPeriod",
            "endPeriod",
            "updatedAfter",
            "dimensionAtObservation",
            "detail",
            "dataset",
            "format",
        ):
            cases.append(
                Case(
                    f"sdmx-data-{name}-{bad}",
                    "GET",
                    f"/sdmx/data/DF_LNOB_UG?{name}={raw}",
                    (400, 404, 406),
                )
            )
        for name in ("references", "detail", "format"):
            cases.append(
                Case(
                    f"sdmx-structure-{name}-{bad}",
                    "GET",
                    f"/sdmx/dataflow?{name}={raw}",
                    (400, 406),
                )
            )
        cases.append(Case(f"catalog-param-{bad}", "GET", f"/catalog.jsonld?x={raw}", (200, 400)))
    cases += [
        Case("sdmx-key-too-long", "GET", "/sdmx/data/DF_LNOB_UG/" + "." * 5000, (400,)),
        Case(
            "sdmx-key-huge-code",
            "GET",
            "/sdmx/data/DF_LNOB_UG/" + "A" * 20000 + "......",
            (400, 404),
        ),
        Case(
            "sdmx-key-many-codes",
            "GET",
            "/sdmx/data/DF_LNOB_UG/" + "+".join(["1_1_1"] * 2000) + "......",
            (200, 400, 404),
        ),
        Case("sdmx-flow-many-commas", "GET", "/sdmx/data/" + ",".join(["A"] * 50), (400,)),
        Case(
            "sdmx-updated-after-garbage",
            "GET",
            "/sdmx/data/DF_LNOB_UG?updatedAfter=yesterday",
            (400,),
        ),
        Case("sdmx-start-period-garbage", "GET", "/sdmx/data/DF_LNOB_UG?startPeriod=20x9", (400,)),
        Case(
            "sdmx-dataset-2^70",
            "GET",
            "/sdmx/data/DF_LNOB_UG?dataset=" + quote(b64(f"Dataset:{2**70}")),
            (400, 404),
        ),
        Case(
            "sdmx-accept-garbage",
            "GET",
            "/sdmx/data/DF_LNOB_UG",
            (200, 404, 406),
            headers={"accept": ";;;,,,q=x"},
        ),
        Case(
            "sdmx-accept-huge-version",
            "GET",
            "/sdmx/data/DF_LNOB_UG",
            (404, 406),
            headers={"accept": "application/vnd.sdmx.data+csv;version=" + "9" * 5000},
        ),
        Case(
            "sdmx-structure-accept-garbage",
            "GET",
            "/sdmx/dataflow",
            (200, 406),
            headers={"accept": "\x7f\x7f"},
        ),
        Case(
            "catalog-accept-garbage",
            "GET",
            "/catalog.jsonld",
            (200, 406),
            headers={"accept": "*/*;q=nope"},
        ),
    ]
    return cases


# --- OAuth -----------------------------------------------------------------------------------

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _oauth_cases() -> list[Case]:
    client_id = CLIENT
    secret = f"secret-{client_id}"
    good = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    basic_bad_utf8 = "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()
    bodies = {
        "empty": b"",
        "grant-nul": b"grant_type=client%00credentials",
        "grant-unknown": b"grant_type=password&username=a&password=b",
        "secret-nul": f"grant_type=client_credentials&client_id={client_id}&client_secret=a%00".encode(),
        "client-id-nul": b"grant_type=client_credentials&client_id=a%00&client_secret=x",
        "client-id-invalid-utf8": b"grant_type=client_credentials&client_id=%FF&client_secret=x",
        "scope-nul": (good + "&scope=data%3Aread%00").encode(),
        "scope-unknown": (good + "&scope=root").encode(),
        "repeated-grant": (good + "&grant_type=client_credentials").encode(),
        "raw-invalid-utf8": b"grant_type=\xff\xfe",
        "json-body": b'{"grant_type": "client_credentials"}',
        "code-garbage": b"grant_type=authorization_code&code=%00&redirect_uri=x",
        "refresh-garbage": b"grant_type=refresh_token&refresh_token=" + b"A" * 10000,
    }
    cases = [
        Case(f"oauth-token-{n}", "POST", "/oauth/token", (400, 401), body=b, headers=FORM)
        for n, b in bodies.items()
    ]
    repeated_scope = (good + "&scope=" + "data:read%20" * 5000).encode()
    cases.append(
        Case(
            "oauth-token-scope-repeated",
            "POST",
            "/oauth/token",
            (200, 400),
            body=repeated_scope,
            headers=FORM,
        )
    )
    cases += [
        Case(
            "oauth-token-json-ct",
            "POST",
            "/oauth/token",
            (400, 401),
            body=good.encode(),
            headers={"content-type": "application/json"},
        ),
        Case(
            "oauth-token-multipart-broken",
            "POST",
            "/oauth/token",
            (400, 401),
            body=b"x",
            headers={"content-type": "multipart/form-data; boundary=z"},
        ),
        Case(
            "oauth-token-basic-garbage",
            "POST",
            "/oauth/token",
            (400, 401),
            body=b"grant_type=client_credentials",
            headers=FORM | {"authorization": "Basic %%%"},
        ),
        Case(
            "oauth-token-basic-bad-utf8",
            "POST",
            "/oauth/token",
            (400, 401),
            body=b"grant_type=client_credentials",
            headers=FORM | {"authorization": basic_bad_utf8},
        ),
        Case(
            "oauth-token-basic-nul",
            "POST",
            "/oauth/token",
            (400, 401),
            body=b"grant_type=client_credentials",
            headers=FORM | {"authorization": "Basic " + base64.b64encode(b"a%00:b").decode()},
        ),
        Case(
            "oauth-introspect-nul",
            "POST",
            "/oauth/introspect",
            (400, 401),
            body=f"token=a%00&client_id={client_id}&client_secret={secret}".encode(),
            headers=FORM,
        ),
        Case(
            "oauth-revoke-nul",
            "POST",
            "/oauth/revoke",
            (200, 400, 401),
            body=f"token=a%00&client_id={client_id}&client_secret={secret}".encode(),
            headers=FORM,
        ),
        Case(
            "oauth-authorize-nul",
            "GET",
            "/oauth/authorize?response_type=code&client_id=a%00",
            (200, 400),
        ),
        Case(
            "oauth-authorize-invalid-utf8",
            "GET",
            "/oauth/authorize?response_type=code&client_id=%FF",
            (200, 400),
        ),
        Case(
            "oauth-authorize-post-garbage",
            "POST",
            "/oauth/authorize",
            (200, 400, 403),
            body=b"\xff\x00",
            headers=FORM,
        ),
        Case("oauth-get-token", "GET", "/oauth/token", (405,)),
    ]
    return cases


# --- headers ---------------------------------------------------------------------------------

TYPENAME = _json({"query": "{ __typename }"})


def _header_cases() -> list[Case]:
    auth_values: dict[str, Any] = {
        "bearer-empty": "Bearer",
        "bearer-space": "Bearer    ",
        "bearer-garbage": "Bearer garbage",
        "bearer-three-dots": "Bearer ...",
        "bearer-huge": "Bearer " + "A" * 20000,
        "bearer-latin1": "Bearer \xe9\xe8".encode("latin-1"),
        "bearer-bad-json-jwt": "Bearer " + b64url("{") + "." + b64url("{") + ".x",
        "bearer-alg-none": "Bearer " + b64url('{"alg":"none"}') + "." + b64url('{"sub":"x"}') + ".",
        "bearer-exp-string": "Bearer "
        + b64url('{"alg":"ES256","kid":"x"}')
        + "."
        + b64url('{"exp":"soon"}')
        + ".AAAA",
        "basic": "Basic dXNlcjpwYXNz",
        "unknown-scheme": "Token abc",
        "two-tokens": "Bearer a, Bearer b",
    }
    cases = []
    for name, value in auth_values.items():
        headers = JSON_CT | {"authorization": value}
        cases.append(
            Case(f"auth-graphql-{name}", "POST", "/graphql", (401,), body=TYPENAME, headers=headers)
        )
        cases.append(
            Case(
                f"auth-export-{name}",
                "GET",
                "/exports/observations.csv",
                (401,),
                headers={"authorization": value},
            )
        )
        cases.append(
            Case(
                f"auth-sdmx-{name}",
                "GET",
                "/sdmx/dataflow",
                (401,),
                headers={"authorization": value},
            )
        )
    others: dict[str, dict[str, Any]] = {
        "accept-garbage": {"accept": ";;;===,,,"},
        "accept-huge": {"accept": "text/html;q=0.1," * 2000},
        "accept-graphql-response": {"accept": "application/graphql-response+json"},
        "accept-xml-only": {"accept": "application/xml"},
        "accept-language-garbage": {"accept-language": "*;q=abc,,;;"},
        "accept-language-huge": {"accept-language": "fr-FR;q=0.9," * 2000},
        "accept-language-latin1": {"accept-language": "\xe9".encode("latin-1")},
        "request-id-huge": {"x-request-id": "r" * 10000},
        "request-id-latin1": {"x-request-id": "\xe9\xff".encode("latin-1")},
        "content-length-mismatch-is-ignored": {"x-forwarded-for": "::::::"},
    }
    for name, extra in others.items():
        cases.append(
            Case(
                f"header-graphql-{name}",
                "POST",
                "/graphql",
                (200, 406),
                None,
                body=TYPENAME,
                headers=JSON_CT | extra,
            )
        )
        cases.append(
            Case(
                f"header-export-{name}",
                "GET",
                "/exports/observations.csv?indicator=1.1.1",
                (200, 406),
                headers=extra,
            )
        )
    return cases


def all_cases() -> list[Case]:
    return [
        *_string_cases(),
        *_mutation_cases(),
        *_number_cases(),
        *_id_cases(),
        *_cursor_cases(),
        *_enum_cases(),
        *_body_cases(),
        *_export_cases(),
        *_sdmx_cases(),
        *_oauth_cases(),
        *_header_cases(),
    ]
