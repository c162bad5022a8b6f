"""docker-compose.yml against the Compose specification's JSON schema, and the stack's rules.

No Docker engine runs here, and the `docker-compose` package on PyPI no longer installs on
Python 3.11 (its PyYAML<6 does not build), so the file is validated with jsonschema against
the Compose specification's schema (``compose_spec.json``, Apache-2.0, as shipped with
docker-compose 1.29.2), then checked for what the production stack needs.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SCHEMA = json.loads((Path(__file__).with_name("compose_spec.json")).read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
ONE_SHOT = {"migrate"}
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"


def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


class TestSpecification:
    def test_the_file_is_valid_against_the_compose_schema(self) -> None:
        validator = jsonschema.Draft201909Validator(SCHEMA)
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(COMPOSE)]
        assert errors == []

    def test_the_schema_refuses_a_misspelt_option(self) -> None:
        # the check above is not vacuous: an unknown key is an error
        broken = json.loads(json.dumps(COMPOSE))
        broken["services"]["api"]["restartt"] = "always"
        validator = jsonschema.Draft201909Validator(SCHEMA)
        assert any("restartt" in e.message for e in validator.iter_errors(broken))


class TestServices:
    def test_every_service_restarts_and_every_long_running_one_has_a_health_check(self) -> None:
        for name, service in SERVICES.items():
            assert service.get("restart") in ("unless-stopped", "always", "on-failure"), name
            if name in ONE_SHOT:
                assert service["restart"] == "on-failure"
                continue
            test = service.get("healthcheck", {}).get("test")
            assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"

    def test_images_are_pinned(self) -> None:
        for name, service in SERVICES.items():
            image = service["image"]
            if "build" in service:
                continue
            tag = image.partition(":")[2]
            assert re.match(r"\d+\.\d+(\.\d+)?(-[a-z0-9]+)*$", tag), (
                f"{name}: {image} is not pinned"
            )

    def test_postgres_keeps_its_data_in_a_named_volume_and_reports_readiness(self) -> None:
        db = SERVICES["db"]
        assert "db-data:/var/lib/postgresql/data" in db["volumes"]
        assert "db-data" in COMPOSE["volumes"]
        assert "pg_isready" in " ".join(db["healthcheck"]["test"])

    def test_migrations_run_once_before_any_replica(self) -> None:
        migrate = SERVICES["migrate"]
        assert "lnob-api migrate" in " ".join(migrate["command"])
        assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
        api = SERVICES["api"]
        assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert api["depends_on"]["redis"]["condition"] == "service_healthy"

    def test_api_replicas_share_redis_and_the_signing_keys(self) -> None:
        api, migrate = SERVICES["api"], SERVICES["migrate"]
        assert api["deploy"]["replicas"] >= 2
        assert api["environment"]["REDIS_URL"].startswith("redis://redis:")
        assert "api-keys:/data" in api["volumes"] and "api-keys:/data" in migrate["volumes"]
        assert "KeyStore.load" in " ".join(migrate["command"])  # created once, before them

    def test_only_the_proxy_is_published(self) -> None:
        published = {name for name, s in SERVICES.items() if s.get("ports")}
        assert published == {"proxy"}

    def test_the_api_trusts_forwarded_headers_from_the_proxy_address_only(self) -> None:
        network = COMPOSE["networks"]["backend"]["ipam"]["config"][0]
        subnet = ipaddress.ip_network(network["subnet"])
        dynamic = ipaddress.ip_network(network["ip_range"])
        proxy_ip = ipaddress.ip_address(SERVICES["proxy"]["networks"]["backend"]["ipv4_address"])
        assert proxy_ip in subnet and proxy_ip not in dynamic  # never handed to another container
        assert SERVICES["api"]["environment"]["FORWARDED_ALLOW_IPS"] == str(proxy_ip)

    def test_the_read_replica_is_an_optional_profile_streaming_from_the_primary(self) -> None:
        replica = SERVICES["db-replica"]
        assert replica["profiles"] == ["replica"]
        script = (ROOT / "deploy/postgres/replica.sh").read_text()
        assert "pg_basebackup" in script and "--write-recovery-conf" in script
        assert "replica.sh" in " ".join(replica["entrypoint"])
        init = (ROOT / "deploy/postgres/init-replication.sh").read_text()
        assert "REPLICATION" in init and "host replication replicator" in init
        assert "wal_level=replica" in SERVICES["db"]["command"]


class TestFiles:
    def test_every_mounted_file_exists(self) -> None:
        for name, service in SERVICES.items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("./"):
                    assert (ROOT / source).is_file(), f"{name} mounts missing {source}"

    def test_the_proxy_balances_the_api_replicas(self) -> None:
        caddy = (ROOT / "deploy/Caddyfile").read_text()
        assert re.search(r"dynamic a \{\s*name api\s*port 8000", caddy)
        assert "lb_policy round_robin" in caddy
        assert "X-Forwarded-Proto" in caddy

    def test_secrets_come_from_the_env_file_and_none_is_written_in_the_compose_file(
        self,
    ) -> None:
        text = (ROOT / "docker-compose.yml").read_text()
        assert not re.search(r"^\s*\w*(PASSWORD|SECRET|KEYS)\w*\s*:\s*\S", text, re.MULTILINE)
        assert not re.search(r"://[^\s:/@]+:[^\s$@]+@", text)  # no password inside a URL
        for name, service in SERVICES.items():
            if name != "redis":
                assert service.get("env_file") == "deploy/.env", name
        used = set(re.findall(r"\$\{(\w+)", text))
        example = env_example()
        assert used <= set(example), f"not in deploy/.env.example: {used - set(example)}"
        assert all("change-me" in v for k, v in example.items() if k.endswith("PASSWORD"))
        ignored = (ROOT / "deploy/.gitignore").read_text().split()
        assert ".env" in ignored
