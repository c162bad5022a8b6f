"""The SDG framework over GraphQL, with localized titles."""

from __future__ import annotations

import httpx
from tests.helpers import gql

GOAL = """
query($code: Int!, $lang: String) {
  sdgGoal(code: $code) { code title(lang: $lang) shortTitle(lang: $lang) targets { code } }
}
"""
INDICATOR = """
query($code: String!) {
  indicator(code: $code) { code title tier unsdCode isCustom target { code goal { code } } }
}
"""


class TestFramework:
    async def test_counts(self, client: httpx.AsyncClient) -> None:
        body = await gql(
            client,
            "{ sdgGoals { totalCount } sdgTargets { totalCount } indicators { totalCount } }",
        )
        data = body["data"]
        assert data["sdgGoals"]["totalCount"] == 17
        assert data["sdgTargets"]["totalCount"] == 169
        assert data["indicators"]["totalCount"] == 251

    async def test_goal_targets_in_natural_order(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, GOAL, {"code": 1})
        codes = [t["code"] for t in body["data"]["sdgGoal"]["targets"]]
        assert codes == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.a", "1.b"]

    async def test_indicator_up_to_goal(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, INDICATOR, {"code": "1.5.1"})
        indicator = body["data"]["indicator"]
        assert indicator["target"] == {"code": "1.5", "goal": {"code": 1}}
        assert indicator["isCustom"] is False
        assert indicator["unsdCode"]

    async def test_target_lookup_and_indicators(self, client: httpx.AsyncClient) -> None:
        body = await gql(
            client, '{ sdgTarget(code: "10.2") { title indicators { code } goal { shortTitle } } }'
        )
        target = body["data"]["sdgTarget"]
        assert [i["code"] for i in target["indicators"]] == ["10.2.1"]
        assert target["goal"]["shortTitle"] == "Reduced inequalities"

    async def test_indicator_filter_by_goal(self, client: httpx.AsyncClient) -> None:
        body = await gql(
            client,
            "{ indicators(filter: {goal: 10}, first: 100) { totalCount edges { node { code } } } }",
        )
        codes = [e["node"]["code"] for e in body["data"]["indicators"]["edges"]]
        assert codes[0] == "10.1.1"
        assert all(c.startswith("10.") for c in codes)
        assert body["data"]["indicators"]["totalCount"] == len(codes)

    async def test_a_goal_filter_out_of_range_is_refused_by_name(
        self, client: httpx.AsyncClient
    ) -> None:
        body = await gql(client, "{ indicators(filter: {goal: 103621}) { totalCount } }")
        (error,) = body["errors"]
        extensions = error["extensions"]
        assert (extensions["code"], extensions["reason"]) == ("BAD_USER_INPUT", "OUT_OF_RANGE")
        assert extensions["field"] == "filter.goal"

    async def test_unknown_codes_are_null(self, client: httpx.AsyncClient) -> None:
        body = await gql(
            client,
            '{ sdgGoal(code: 18) { code } sdgTarget(code: "1.9") { code } indicator(code: "9.9.9") { code } }',
        )
        assert body["data"] == {"sdgGoal": None, "sdgTarget": None, "indicator": None}


class TestLocalization:
    async def test_accept_language_picks_french(self, client: httpx.AsyncClient) -> None:
        body = await gql(
            client, GOAL, {"code": 1}, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
        )
        assert "sous toutes ses formes" in body["data"]["sdgGoal"]["title"]

    async def test_q_values_rank_languages(self, client: httpx.AsyncClient) -> None:
        body = await gql(
            client, GOAL, {"code": 1}, headers={"Accept-Language": "sw;q=0.4, es;q=0.8"}
        )
        assert body["data"]["sdgGoal"]["title"].startswith("Poner fin a la pobreza")

    async def test_lang_argument_wins_over_header(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, GOAL, {"code": 1, "lang": "sw"}, headers={"Accept-Language": "fr"})
        assert body["data"]["sdgGoal"]["title"].startswith("Kukomesha umaskini")

    async def test_unsupported_language_falls_back_to_english(
        self, client: httpx.AsyncClient
    ) -> None:
        body = await gql(client, GOAL, {"code": 1}, headers={"Accept-Language": "da, bn"})
        assert body["data"]["sdgGoal"]["title"] == "End poverty in all its forms everywhere"
        assert body["data"]["sdgGoal"]["shortTitle"] == "No poverty"

    async def test_missing_translation_falls_back_to_english(
        self, client: httpx.AsyncClient
    ) -> None:
        # 2.2.4 was added in 2025: no translation exists yet in any language.
        body = await gql(
            client, '{ indicator(code: "2.2.4") { fr: title(lang: "fr") en: title(lang: "en") } }'
        )
        indicator = body["data"]["indicator"]
        assert indicator["fr"] == indicator["en"]
