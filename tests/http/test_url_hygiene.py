"""url_problem: plain ASCII URLs pass without decoding; raw and percent-encoded NUL or
invalid UTF-8 are named, in the path and in the query string alike."""

from __future__ import annotations

import pytest

from lnob_api.http.hygiene import url_problem


@pytest.mark.parametrize(
    ("path", "query"),
    [(b"/graphql", b""), (b"/a+b", b"q=a+b&x=%C3%A9"), ("/é".encode(), b"x=%E2%82%AC")],
)
def test_usable_urls_pass(path: bytes, query: bytes) -> None:
    assert url_problem({"raw_path": path, "query_string": query}) is None


@pytest.mark.parametrize(
    ("path", "query", "problem"),
    [
        (b"/a\x00", b"", "the path holds a NUL character"),
        (b"/a", b"x=\x00", "the query string holds a NUL character"),
        (b"/a%00", b"", "the path holds a NUL character"),
        ("/é".encode("latin-1"), b"", "the path is not UTF-8"),
        (b"/a", b"x=\xff", "the query string is not UTF-8"),
        (b"/a", b"x=%FF", "the query string is not UTF-8"),
    ],
)
def test_unusable_urls_are_named(path: bytes, query: bytes, problem: str) -> None:
    found = url_problem({"raw_path": path, "query_string": query})
    assert found is not None and found.startswith(problem)
