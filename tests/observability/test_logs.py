"""Log formatting in-process: the request context on lines written while a request is served,
and the second line of defence that blanks credentials."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import httpx
import pytest

from lnob_api.observability.logs import JsonFormatter, TextFormatter, scrub

JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxMiJ9.c2lnbmF0dXJl"


class Capture(logging.Handler):
    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def json_lines() -> Iterator[Capture]:
    handler = Capture(JsonFormatter())
    logger = logging.getLogger("lnob_api")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


class TestScrub:
    @pytest.mark.parametrize(
        ("text", "secret"),
        [
            (f"Authorization: Bearer {JWT}", JWT),
            ("header was Basic dXNlcjpzZWNyZXQtcGFzcw==", "dXNlcjpzZWNyZXQtcGFzcw=="),
            (f"token {JWT} refused", JWT),
            ("password=hunter2-long&email=a@b", "hunter2-long"),
            ("{'client_secret': 's3cr3t-value'}", "s3cr3t-value"),
            ('"refresh_token": "abc.def-123"', "abc.def-123"),
        ],
    )
    def test_credentials_are_blanked(self, text: str, secret: str) -> None:
        # when
        cleaned = scrub(text)
        # then
        assert secret not in cleaned
        assert "[redacted]" in cleaned

    def test_ordinary_text_is_kept(self) -> None:
        text = "POST /graphql 401 invalid_token: the token has expired"
        assert scrub(text) == text


class TestFormatters:
    def test_a_traceback_is_scrubbed_too(self) -> None:
        # given
        try:
            raise RuntimeError(f"could not use Bearer {JWT}")
        except RuntimeError:
            record = logging.LogRecord("lnob_api.x", logging.ERROR, __file__, 1, "failed", (), None)
            record.exc_info = sys.exc_info()
        # when
        line = json.loads(JsonFormatter().format(record))
        text = TextFormatter().format(record)
        # then
        assert JWT not in line["exception"] and "RuntimeError" in line["exception"]
        assert JWT not in text and "RuntimeError" in text

    async def test_lines_during_a_request_carry_its_context(
        self, client: httpx.AsyncClient, json_lines: Capture
    ) -> None:
        # when
        response = await client.post(
            "/graphql",
            json={"query": "query ContextProbe { viewer { kind } }"},
            headers={"X-Request-Id": "ctx-probe-1"},
        )
        # then
        assert response.status_code == 200
        records = [json.loads(line) for line in json_lines.lines]
        access = [r for r in records if r["logger"] == "lnob_api.access"]
        assert [(r["request_id"], r["operation"], r["principal"], r["status"]) for r in access] == [
            ("ctx-probe-1", "ContextProbe", "anonymous", 200)
        ]
