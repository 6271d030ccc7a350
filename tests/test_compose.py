"""docker-compose.yml against the code, checked as data (`make deploy-test` runs it for real).

Every variable the bot needs in production is set (secrets only by reference), the URLs
and ports the services use to reach each other agree, the images build on any Debian base
(BASE_IMAGE) with what docker-compose 1.29 reads, and the Rasa services (an optional
profile) run the project's model, component and actions.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SECRET = re.compile(r"(TOKEN|SECRET|PASSWORD|HASH_KEY)")
REQUIRED_REF = re.compile(r"^\$\{(?P<name>[A-Z_]+):\?[^}]*\}$")
REF = re.compile(r"\$\{(?P<name>[A-Z_]+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
CORE = ("postgres", "redis", "bot")  # what runs without a profile: make deploy-test starts these
RASA = ("nlu-export", "rasa-train", "rasa", "actions")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


def env_of(service: dict[str, Any]) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {str(k): None if v is None else str(v) for k, v in env.items()}


def substitute(value: str, fake: str = "x-secret", env: dict[str, str] | None = None) -> str:
    """The value with every ${VAR…} replaced as compose would: from env, else its default, else a fake secret."""

    def one(m: re.Match[str]) -> str:
        if env and m["name"] in env:
            return env[m["name"]]
        if m["op"] and m["op"].endswith("-"):
            return str(m["arg"])
        # a distinct random-looking value, as production's checks of key strength demand
        return hashlib.sha256(f"{fake}-{m['name']}".encode()).hexdigest()

    return REF.sub(one, value)


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_the_five_services_and_their_images(compose: dict[str, Any], services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "bot", "rasa", "actions"} <= set(services)
    assert "name" not in compose  # docker-compose 1.29 refuses a top-level name (use -p)
    assert services["rasa"]["image"] == "rasa/rasa:3.6.21-full"
    for name in ("postgres", "redis", "bot"):
        build = services[name]["build"]
        assert substitute(build["args"]["BASE_IMAGE"]) == "debian:bookworm-slim", name
        dockerfile = (ROOT / build["dockerfile"]).read_text(encoding="utf-8")
        assert "ARG BASE_IMAGE=" in dockerfile and "FROM ${BASE_IMAGE}" in dockerfile, name
    assert (ROOT / services["actions"]["build"]["dockerfile"]).exists()


def test_rasa_is_an_optional_profile(services: dict[str, Any]) -> None:
    for name in CORE:
        assert not services[name].get("profiles"), f"{name} must run without a profile"
        assert not set(services[name].get("depends_on") or {}) & set(RASA), f"{name} must not wait for Rasa"
    for name in RASA:
        assert services[name]["profiles"] == ["rasa"], name


def test_redis_answers_the_other_containers(services: dict[str, Any]) -> None:
    command = command_of(services["redis"])
    assert option(command, "--protected-mode") == "no"  # Debian's default refuses non-loopback clients
    assert option(command, "--bind") == "0.0.0.0"
    assert not services["redis"].get("ports")  # reached over the compose network only


def test_long_running_services_have_health_checks_and_restart(services: dict[str, Any]) -> None:
    for name in ("postgres", "redis", "bot", "rasa", "actions"):
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["restart"] == "unless-stopped", name


def test_volumes_keep_the_database_and_the_model(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    model = option(command_of(services["rasa"]), "--model")
    mounts = {v.split(":")[1]: v.split(":")[0] for v in services["rasa"]["volumes"]}
    model_dir = str(Path(model).parent)
    assert mounts[model_dir] in declared
    train = command_of(services["rasa-train"])
    assert option(train, "--out") == model_dir
    assert option(train, "--fixed-model-name") == Path(model).name.removesuffix(".tar.gz")
    assert {v.split(":")[0] for v in services["rasa-train"]["volumes"]} >= {mounts[model_dir]}
    for service in services.values():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            assert source in declared or (ROOT / source).exists(), volume


def test_secrets_are_references_never_values(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for key, value in env_of(service).items():
            if SECRET.search(key) and value is not None:
                assert REQUIRED_REF.match(value), f"{name}: {key} must be ${{{key}:?…}}, not a value"
    rasa_token = REQUIRED_REF.match(option(command_of(services["rasa"]), "--auth-token"))
    bot_token = REQUIRED_REF.match(env_of(services["bot"])["LAODONG_RASA_TOKEN"] or "")
    assert rasa_token and bot_token
    assert rasa_token["name"] == bot_token["name"]  # the bot sends the token the Rasa server checks


def test_bot_settings_are_all_known_and_enough_for_production(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = env_of(services["bot"])
    fields = {f"LAODONG_{name.upper()}" for name in Settings.model_fields}
    unknown = {k for k in env if k.startswith("LAODONG_")} - fields
    assert not unknown, f"the bot reads no such settings: {unknown}"
    for key in [k for k in os.environ if k.startswith("LAODONG_")]:
        monkeypatch.delenv(key)  # only what compose sets counts
    for nlu in ("embedded", "rasa"):  # the default, and LAODONG_NLU=rasa with the rasa profile
        chosen: dict[str, str] = {"LAODONG_NLU": nlu} if nlu == "rasa" else {}
        values: dict[str, Any] = {
            k[len("LAODONG_") :].lower(): substitute(v, env=chosen) for k, v in env.items() if v is not None
        }
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        assert settings.env == "production"
        assert settings.production_problems() == []
        assert settings.nlu == nlu


def test_urls_and_ports_agree(services: dict[str, Any]) -> None:
    bot = env_of(services["bot"])
    rasa_url = urlsplit(bot["LAODONG_RASA_URL"] or "")
    assert rasa_url.hostname == "rasa"
    assert rasa_url.port == int(option(command_of(services["rasa"]), "--port"))
    assert "--enable-api" in command_of(services["rasa"])
    db = urlsplit(substitute(bot["LAODONG_DATABASE_URL"] or ""))
    pg = env_of(services["postgres"])
    assert (db.scheme, db.hostname, db.port) == ("postgresql", "postgres", 5432)
    assert (db.username, db.path.lstrip("/")) == (pg["POSTGRES_USER"], pg["POSTGRES_DB"])
    assert db.password == substitute(pg["POSTGRES_PASSWORD"] or "")
    redis_url = urlsplit(bot["LAODONG_REDIS_URL"] or "")
    assert (redis_url.scheme, redis_url.hostname, redis_url.port) == ("redis", "redis", 6379)
    assert "6379" not in " ".join(services["redis"].get("ports") or [])  # reached by the bots only
    port = int(bot["LAODONG_PORT"] or 0)
    assert any(p.endswith(f":{port}") for p in services["bot"]["ports"])
    published = [substitute(p, env={"LAODONG_BOT_PORTS": ""}) for p in services["bot"]["ports"]]
    assert f"127.0.0.1::{port}" in published  # make deploy-test: Docker picks free host ports
    assert bot["LAODONG_HOST"] == "0.0.0.0"
    actions_url = urlsplit(env_of(services["rasa"])["LAODONG_ACTIONS_URL"] or "")
    assert actions_url.hostname == "actions"
    assert actions_url.port == int(option(command_of(services["actions"]), "--port"))
    assert str(actions_url.port) in " ".join(services["actions"]["healthcheck"]["test"])
    for name in ("bot", "rasa"):
        for published in services[name].get("ports") or []:
            assert published.startswith("127.0.0.1:"), f"{name} publishes {published} beyond loopback"


def test_rasa_reads_the_projects_component_and_endpoints(services: dict[str, Any]) -> None:
    rasa = services["rasa"]
    env = env_of(rasa)
    mounts = {v.split(":")[1]: v.split(":")[0] for v in rasa["volumes"]}
    assert mounts[f"{env['PYTHONPATH']}/nlu"] == "./nlu"  # nlu.rasa_components importable
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    endpoints = yaml.safe_load((ROOT / "nlu" / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["url"] == "${LAODONG_ACTIONS_URL}"
    assert option(command_of(rasa), "--endpoints") == "endpoints.yml"
    assert command_of(services["actions"])[:3] == ["start", "--actions", "actions.rasa_actions"]
    assert command_of(services["nlu-export"])[:3] == ["laodong", "nlu", "export"]
    assert rasa["depends_on"]["rasa-train"]["condition"] == "service_completed_successfully"
    assert services["bot"]["depends_on"]["postgres"]["condition"] == "service_healthy"
