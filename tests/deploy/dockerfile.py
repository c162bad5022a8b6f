"""The Dockerfile as data: its instructions and stages (tests read it; no Docker engine here)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    steps: list[Instruction]

    def all(self, keyword: str) -> list[str]:
        return [i.args for i in self.steps if i.keyword == keyword]

    def index(self, keyword: str, pattern: str) -> int:
        for n, step in enumerate(self.steps):
            if step.keyword == keyword and re.search(pattern, step.args):
                return n
        raise AssertionError(f"no {keyword} matching {pattern!r} in stage {self.name}")


def instructions(text: str) -> list[Instruction]:
    """Instructions with their continuation lines joined, comments dropped."""
    out: list[Instruction] = []
    buffer = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        keyword, _, args = buffer.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
        buffer = ""
    assert not buffer, "a continuation line at the end of the file"
    return out


def stages(steps: list[Instruction]) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults, and the stages with their base image resolved."""
    args: dict[str, str] = {}
    found: list[Stage] = []
    for step in steps:
        if step.keyword == "FROM":
            parts = step.args.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], parts[0])
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            found.append(Stage(base, name, []))
        elif not found:
            assert step.keyword == "ARG", f"{step.keyword} before the first FROM"
            key, _, value = step.args.partition("=")
            args[key] = value
        else:
            found[-1].steps.append(step)
    return args, found


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not the exec form: {args}"
    return [str(v) for v in value]


def runtime_stage() -> Stage:
    """The image's last stage, as built."""
    return stages(instructions(DOCKERFILE.read_text(encoding="utf-8")))[1][-1]
