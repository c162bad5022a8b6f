"""``serve`` uses every core in production unless told otherwise; one process elsewhere."""

from __future__ import annotations

import os

from lnob_api.cli import build_parser, default_workers
from lnob_api.config import Settings


def test_production_defaults_to_one_worker_per_usable_core() -> None:
    assert default_workers(Settings(env="production")) == len(os.sched_getaffinity(0))


def test_development_and_test_default_to_one_worker() -> None:
    assert default_workers(Settings(env="development")) == 1
    assert default_workers(Settings(env="test")) == 1


def test_an_explicit_count_is_kept() -> None:
    assert build_parser().parse_args(["serve"]).workers is None  # the default decides
    assert build_parser().parse_args(["serve", "--workers", "3"]).workers == 3
