"""The code blocks of README.md and docs/*.md, and what each one is for.

A fenced block is one of:

- **runnable**: ```graphql (anonymous), ```graphql (user) (as ``$USER_TOKEN``, the Kenya
  coalition admin of the walkthrough), ```graphql (agency) (as ``$AGENCY_TOKEN``, the
  statistics office's client), ```sh and ```python. The docs test runs it against one real
  server, in the order of ``PAGES``;
- **output**: the block right after a runnable one, fenced as ```json, ```text, ```http or
  bare ```: what the runnable block answers, compared with what the server answers;
- **file**: any block preceded by ``<!-- file: NAME -->``: written to the shell's working
  folder before the blocks that follow it (``korogocho.csv``, ``nightly_pull.py``);
- **not run**: any block preceded by ``<!-- not-run: REASON -->`` (a diagram, ``docker
  compose up``, a browser step): counted, and listed with its reason.

Other markers, also HTML comments right before a block: ``<!-- headers: NAME: VALUE -->``
(request headers of a GraphQL block), ``<!-- exit: N -->`` (the exit status a shell block
ends with; default 0), ``<!-- errors -->`` (a GraphQL block whose response holds errors or
user errors on purpose, shown in its output). A block that is none of these fails the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The reading order of the docs, which is also the order the walkthrough's steps run in: ids
# and row versions shown on a page come from running every page before it.
PAGES = (
    "README.md",
    "docs/operator.md",
    "docs/frontend.md",
    "docs/coalition-admin.md",
    "docs/statistics-office.md",
    "docs/stewardship.md",
    "docs/sdmx.md",
    "docs/point-in-time.md",
    "docs/graphql.md",
    "docs/compiled.md",
    "docs/access.md",
    "docs/configuration.md",
    "docs/cli.md",
    "docs/deployment.md",
    "docs/upgrades.md",
    "docs/troubleshooting.md",
    "docs/development.md",
    "docs/README.md",
)
RUNNABLE = {"graphql", "graphql (user)", "graphql (agency)", "sh", "python"}
OUTPUT = {"", "json", "text", "http"}
MARKERS = {"file", "not-run", "headers", "exit", "errors"}

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+)(?P<info>[^`\n]*)$")
MARKER = re.compile(r"^\s*<!--\s*(?P<name>[a-z-]+)(?::\s*(?P<value>.*?))?\s*-->\s*$")


@dataclass
class Block:
    page: str
    line: int  # 1-based line of the opening fence
    info: str
    body: str
    markers: dict[str, list[str]] = field(default_factory=dict)
    kind: str = ""  # runnable, output, file, not-run, unknown
    output: Block | None = None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    def marker(self, name: str) -> str | None:
        values = self.markers.get(name)
        return values[0] if values else None


def parse(page: str, text: str) -> list[Block]:
    """The fenced blocks of one page, with the markers written right before each."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = MARKER.match(line)
        if marker:
            pending.setdefault(marker["name"], []).append(marker["value"] or "")
            i += 1
            continue
        fence = FENCE.match(line)
        if not fence:
            if line.strip():
                pending = {}
            i += 1
            continue
        indent, ticks = fence["indent"], fence["fence"]
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != ticks:
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        blocks.append(Block(page, i + 1, fence["info"].strip(), "\n".join(body) + "\n", pending))
        pending = {}
        i = j + 1
    _classify(blocks)
    return blocks


def _classify(blocks: list[Block]) -> None:
    previous: Block | None = None
    for block in blocks:
        if "not-run" in block.markers:
            block.kind = "not-run"
        elif "file" in block.markers:
            block.kind = "file"
        elif block.info in RUNNABLE:
            block.kind = "runnable"
        elif block.info in OUTPUT and previous is not None and previous.kind == "runnable":
            block.kind = "output"
            previous.output = block
        else:
            block.kind = "unknown"
        previous = block


def all_blocks() -> list[Block]:
    blocks: list[Block] = []
    for page in PAGES:
        path = ROOT / page
        if path.exists():
            blocks.extend(parse(page, path.read_text(encoding="utf-8")))
    return blocks


def doc_pages() -> list[str]:
    """Every markdown page the docs test covers: the README and docs/*.md (not docs/notes)."""
    return ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
