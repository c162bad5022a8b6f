"""The docs stay true: every code block of README.md and docs/*.md runs, or is compared with
what the server answers, against one real server (see ``blocks`` for the kinds of blocks and
``compare`` for how outputs are compared).

Set ``LNOB_DOCS_LOG=FILE`` to keep every block's real output in FILE (to update a page).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from tests.conftest import _create_database, _drop_database
from tests.docs.blocks import MARKERS, PAGES, ROOT, Block, all_blocks, doc_pages, parse
from tests.docs.story import Story, client_programs, free_port, plain_url

BLOCKS = all_blocks()
STEPS = [b for b in BLOCKS if b.kind in {"runnable", "file"}]
# at most this many blocks may stay unrun (diagrams, Docker, a browser's steps)
NOT_RUN_LIMIT = 28


@pytest.fixture(scope="module")
async def story(database_url: str) -> AsyncIterator[Story]:
    server = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    url, name = await _create_database(server)
    folder = Path(tempfile.mkdtemp(prefix="lnob-docs-"))
    connection = await asyncpg.connect(plain_url(url))
    major = connection.get_server_version().major
    await connection.close()
    story = Story(folder=folder, database_url=url, pg_bin=client_programs(major))
    try:
        await asyncio.to_thread(story.start)
    except BaseException:
        story.stop()
        await _drop_database(server, name)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    yield story
    story.stop()
    if os.environ.get("LNOB_DOCS_LOG"):
        log = Path(os.environ["LNOB_DOCS_LOG"])
        await asyncio.to_thread(log.write_text, "\n\n".join(story.log), encoding="utf-8")
    await _drop_database(server, name)
    await _drop_database(server, story.restored_name)
    shutil.rmtree(folder, ignore_errors=True)


class TestBlocks:
    def test_every_page_is_read_in_order(self) -> None:
        assert set(doc_pages()) == set(PAGES)

    def test_every_block_runs_is_an_output_a_file_or_says_why_not(self) -> None:
        unknown = [f"{b.id} ```{b.info}" for b in BLOCKS if b.kind == "unknown"]
        assert unknown == []

    def test_blocks_not_run_are_few_and_say_why(self) -> None:
        not_run = [b for b in BLOCKS if b.kind == "not-run"]
        assert all((b.marker("not-run") or "").strip() for b in not_run)
        assert len(not_run) <= NOT_RUN_LIMIT, [f"{b.id}: {b.marker('not-run')}" for b in not_run]
        assert len(STEPS) >= 3 * len(not_run)

    def test_every_output_shows_something(self) -> None:
        # a bare "..." matches any output: a placeholder while writing a page, never in a commit
        empty = [b.id for b in BLOCKS if b.kind == "output" and b.body.strip() in {"", "..."}]
        assert empty == []

    def test_markers_are_known(self) -> None:
        names = {name for b in BLOCKS for name in b.markers}
        assert names <= MARKERS

    def test_a_token_variable_says_whose_token_it_is(self) -> None:
        # $TOKEN meant an agency's token in one place and a user's in another
        bare = [b.id for b in BLOCKS if re.search(r"\$\{?TOKEN\b", b.body)]
        assert bare == []

    def test_the_parser_sees_indented_blocks_and_markers(self) -> None:
        page = "1. step:\n\n   <!-- exit: 1 -->\n   ```sh\n   false\n   ```\n\n   ```\n   out\n   ```\n"
        blocks = parse("x.md", page)
        assert [(b.kind, b.marker("exit"), b.body) for b in blocks] == [
            ("runnable", "1", "false\n"),
            ("output", None, "out\n"),
        ]

    def test_relative_links_point_at_files_and_headings(self) -> None:
        broken = []
        for page in doc_pages():
            text = (ROOT / page).read_text(encoding="utf-8")
            for target in re.findall(r"\]\((?!https?:|mailto:)([^)\s]+)\)", text):
                path, _, anchor = target.partition("#")
                file = (ROOT / page).parent / path if path else ROOT / page
                missing = not file.exists()
                if missing or (anchor and file.suffix == ".md" and anchor not in anchors(file)):
                    broken.append(f"{page}: {target}")
        assert broken == []


def anchors(file: Path) -> set[str]:
    """GitHub's heading anchors of a markdown file."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", "")).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("block", STEPS, ids=lambda b: f"{b.id} {b.info or b.marker('file')}")
def test_block(story: Story, block: Block) -> None:
    # given the server, after every block before this one in reading order
    # when
    problem = story.run(block)
    # then it ran, and answered what the docs show
    assert problem is None, f"{block.id}: {problem}"


RESTORE_CHECKS = (
    '{ coalition(code: "KE") { name datasets(first: 50) { totalCount nodes { id slug status } } } }',
    '{ observations(filter: {areas: ["KE"]}, first: 100) { totalCount nodes { id value suppressed } } }',
    "{ viewer { kind email roles { role coalition { code } } } "
    "datasets(first: 50) { totalCount nodes { id status visibility } } "
    "auditEvents(first: 100) { totalCount nodes { action entityId } } }",
)


def test_the_restored_backup_answers_the_same(story: Story) -> None:
    # given the database restored from the backup taken in docs/deployment.md (a block above),
    # served by a second server with the same signing keys and public address
    restored = make_url(story.database_url).set(database=story.restored_name)
    port = free_port()
    env_url = plain_url(restored.render_as_string(hide_password=False))
    process = story.serve(env_url, port, issuer=story.base_url)
    try:
        token = story.user_token()
        for query in RESTORE_CHECKS:
            # when the same query goes to both servers
            answers = [
                httpx.post(
                    f"{base}/graphql",
                    json={"query": query},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                ).json()
                for base in (story.base_url, f"http://127.0.0.1:{port}")
            ]
            # then both answer the same data
            assert "errors" not in answers[0], answers[0]
            assert answers[0]["data"] == answers[1]["data"]
        export = [
            httpx.get(f"{base}/exports/observations.csv?area=KE", timeout=60).text
            for base in (story.base_url, f"http://127.0.0.1:{port}")
        ]
        assert export[0].count("\n") > 100
        assert export[0] == export[1]
    finally:
        story.stop_process(process)
