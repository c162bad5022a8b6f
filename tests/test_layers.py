"""The layering contract of pyproject.toml's [tool.importlinter] holds, and covers the code.

`lint-imports` checks the imports (config <- db <- models <- auth, access <- domains <- graphql,
http <- app, cli; a domain's repositories only for that domain). These tests run it, show that
the domain rule does catch a service reading another domain's repository, and check that every
package of lnob_api sits in a layer, so that a new domain cannot slip past the contract.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.domain.contract import InvalidContractOptions
from tests.layers_contract import DomainRepositoriesContract

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "lnob_api"


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def _layer_names(layer: str) -> dict[str, bool]:
    """The modules of a layer, each with whether it is optional (written in parentheses)."""
    names = [name.strip() for part in layer.split("|") for name in part.split(":")]
    return {name.strip("()").removeprefix("lnob_api."): name.startswith("(") for name in names}


def test_lint_imports_keeps_every_contract() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in done.stdout


def test_every_module_of_the_package_is_in_a_layer() -> None:
    layers: list[str] = _contracts()["layers"]["layers"]  # type: ignore[assignment]
    named = {name: optional for layer in layers for name, optional in _layer_names(layer).items()}
    layered = set(named)
    present = {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.is_file() and p.suffix == ".py" and p.name != "__init__.py")
        or (p.is_dir() and (p / "__init__.py").is_file())
    }
    assert present - layered == set(), "put the new module in a layer of pyproject.toml"
    gone = {name for name in layered - present if not named[name]}
    assert gone == set(), "a layer names a module that is gone"


def test_every_domain_with_a_repository_is_under_the_domain_rule() -> None:
    listed: list[str] = _contracts()["domain-repositories"]["domains"]  # type: ignore[assignment]
    domains = {d.removeprefix("lnob_api.") for d in listed}
    with_repositories = {
        p.parent.name
        for p in PACKAGE.glob("*/*repository.py")
        if p.parent.name not in {"auth", "read"}  # below the domains: everyone reads them
    }
    assert with_repositories - domains == set()


def _package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package with two domains, ``a`` and ``b``, and an entry point above them."""
    _package(
        tmp_path,
        {
            "toy/__init__.py": "",
            "toy/a/__init__.py": "",
            "toy/a/repository.py": "",
            "toy/a/service.py": "from toy.a import repository\nfrom toy.b import service\n",
            "toy/b/__init__.py": "",
            "toy/b/repository.py": "",
            "toy/b/write_repository.py": "from toy.a import repository\n",
            "toy/b/service.py": "from toy.b import repository, write_repository\n",
            "toy/api.py": "from toy.a import repository\nfrom toy.b import write_repository\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _check(graph: grimp.ImportGraph, **options: object) -> tuple[bool, list[tuple[str, str]]]:
    contract = DomainRepositoriesContract(
        name="toy", session_options={}, contract_options={"domains": ["toy.a", "toy.b"], **options}
    )
    check = contract.check(graph, verbose=False)
    return check.kept, [(b["importer"], b["imported"]) for b in check.metadata["broken"]]


def test_the_domain_rule_allows_own_repositories_and_the_layers_above(toy: Path) -> None:
    # a service uses its own repositories and other domains' services; a repository may build
    # on another domain's repository; an entry point (not a domain) may read any repository
    assert _check(grimp.build_graph("toy", cache_dir=None)) == (True, [])


def test_the_domain_rule_catches_a_service_reading_another_domains_repository(toy: Path) -> None:
    (toy / "toy/a/service.py").write_text("from toy.b import write_repository\n")
    (toy / "toy/b/repository.py").write_text("from toy.b import service\n")
    kept, broken = _check(grimp.build_graph("toy", cache_dir=None))
    assert not kept
    assert broken == [
        ("toy.a.service", "toy.b.write_repository"),
        ("toy.b.repository", "toy.b.service"),
    ]
    kept, broken = _check(
        grimp.build_graph("toy", cache_dir=None),
        ignore_imports=["toy.a.service -> toy.b.write_repository"],
    )
    assert broken == [("toy.b.repository", "toy.b.service")]


def test_the_domain_rule_needs_its_domains() -> None:
    with pytest.raises(InvalidContractOptions) as raised:
        DomainRepositoriesContract(name="toy", session_options={}, contract_options={})
    assert raised.value.errors == {"domains": "This is a required field."}
