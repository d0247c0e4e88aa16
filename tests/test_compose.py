"""The production stack's files hold together: no Docker engine runs here, so check what we can.

Closed by default: Temporal and the Web UI published on 127.0.0.1 only unless the operator opts
out, the Web UI read-only, its sign-in and Temporal's own authorisation shown with the names the
images read. Temporal's production images at the versions the tests run, the schema set up by a
one-shot service the server waits for, and the namespace and search attributes by another (whose
script runs here against the tests' own Temporal server).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.testing import WorkflowEnvironment

from operations.reference.settings_page import every_setting
from workflows.search_attributes import ALL_KEYS

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
# Every setting the incident services read: temporal_client.settings.Settings and the other
# settings models (GitHubSettings: GITHUB_TOKEN, GITHUB_API_URL), as the manual lists them.
SETTING_NAMES = set(every_setting())
TEMPORAL = Path(sys.executable).parent / "temporal"
ONE_SHOT = {"temporal-schema", "temporal-setup"}  # run once and exit
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _as_shipped(value: str) -> str:
    """``${TEMPORAL_BIND:-127.0.0.1}:7233:7233`` → ``127.0.0.1:7233:7233``: what an operator who
    sets nothing gets."""
    return _DEFAULTED.sub(lambda found: found.group(2), value)


def _service_text(name: str) -> str:
    """The service's block in docker-compose.yml, comments included (they show what to set)."""
    text = COMPOSE.read_text()
    start = text.index(f"\n  {name}:\n")
    following = re.search(r"\n  [a-z][\w-]*:\n|\nvolumes:", text[start + 1 :])
    assert following
    return text[start : start + 1 + following.start()]


def _script(name: str) -> str:
    """A one-shot service's shell script, as the container's shell receives it."""
    service = _services()[name]
    assert service["entrypoint"] == ["/bin/sh", "-euc"], name
    (script,) = service["command"]
    assert isinstance(script, str)
    return script.replace("$$", "$")


def test_compose_has_the_services_the_manual_names() -> None:
    services = _services()
    expected = {"postgresql", "temporal-schema", "temporal", "temporal-setup", "temporal-ui"}
    assert expected | {"worker", "relay", "codec"} <= set(services)
    page = (ROOT / "docs" / "operators" / "deploying.md").read_text()
    for name in services:
        assert f"`{name}`" in page, f"docs/operators/deploying.md does not describe {name}"


def test_every_image_is_pinned_to_a_version() -> None:
    for name, service in _compose()["services"].items():
        image = service.get("image")
        assert image, f"{name} has no image"
        assert re.fullmatch(r"[\w./-]+:\d[\w.-]*", image), f"{name}: {image} is not pinned"


def test_long_running_services_restart_and_report_health() -> None:
    services = _services()
    for name, service in services.items():
        assert service.get("restart") == ("no" if name in ONE_SHOT else "unless-stopped"), name
    for name in ("postgresql", "temporal"):
        assert "healthcheck" in services[name], name
    assert services["worker"]["deploy"]["replicas"] == 2


def test_dependencies_name_existing_services() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_incident_services_use_only_known_settings() -> None:
    services = _services()
    for name in ("worker", "relay", "codec", "intake"):
        assert set(services[name]["environment"]) <= SETTING_NAMES, name
        assert services[name]["env_file"] == ".env", name


def test_env_example_names_only_real_settings_and_the_compose_files_knobs() -> None:
    """The incident services read .env whole: each name in it, set or shown commented, is a
    setting they read, or one of docker-compose.yml's own knobs (read by compose alone)."""
    text = (ROOT / ".env.example").read_text()
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    shown = set(re.findall(r"^# ([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    assert names and shown, ".env.example is empty"
    knobs = set(re.findall(r"\$\{(\w+)[:}]", COMPOSE.read_text())) - SETTING_NAMES
    assert not (names | shown) - SETTING_NAMES - knobs, "neither settings nor compose knobs"
    assert not names & knobs, "compose knobs stay commented: their defaults are the closed stack"
    # Temporal's authorisation reaches the worker and relay through their existing settings.
    assert {"TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA", "TEMPORAL_API_KEY"} <= shown


# --- Closed by default ------------------------------------------------------------------------------


def test_temporal_and_the_web_ui_listen_on_this_host_unless_the_operator_opts_out() -> None:
    services = _services()
    assert services["temporal"]["ports"] == ["${TEMPORAL_BIND:-127.0.0.1}:7233:7233"]
    assert services["temporal-ui"]["ports"] == ["${TEMPORAL_UI_BIND:-127.0.0.1}:8080:8080"]
    for name, service in services.items():
        for port in service.get("ports", []):
            if name != "relay":  # Slack must reach it; it verifies every request (test_relay.py)
                assert _as_shipped(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
    assert "ports" not in services["postgresql"]


def test_the_web_ui_is_read_only_unless_asked_and_shows_its_sign_in() -> None:
    ui = _services()["temporal-ui"]
    setting = ui["environment"]["TEMPORAL_DISABLE_WRITE_ACTIONS"]
    assert _as_shipped(setting) == "true" and "${TEMPORAL_DISABLE_WRITE_ACTIONS:-" in setting
    shown = _service_text("temporal-ui")
    # The names the UI image reads (temporalio/ui, server/config/docker.yaml), commented out.
    for name in (
        "TEMPORAL_AUTH_ENABLED",
        "TEMPORAL_AUTH_PROVIDER_URL",
        "TEMPORAL_AUTH_CLIENT_ID",
        "TEMPORAL_AUTH_CLIENT_SECRET",
        "TEMPORAL_AUTH_CALLBACK_URL",
        "TEMPORAL_AUTH_SCOPES",
        "TEMPORAL_CODEC_ENDPOINT",
        "TEMPORAL_CODEC_PASS_ACCESS_TOKEN",
    ):
        assert re.search(rf"^\s+# {name}: ", shown, re.MULTILINE), name
        assert name not in ui["environment"], f"{name} is on: sign-in needs your own provider"


def test_temporals_own_authorisation_is_shown_for_the_server() -> None:
    shown = _service_text("temporal")
    # The names the server image's embedded config reads (mTLS, then the JWT authorizer).
    for name in (
        "TEMPORAL_TLS_FRONTEND_CERT",
        "TEMPORAL_TLS_FRONTEND_KEY",
        "TEMPORAL_TLS_CLIENT1_CA_CERT",
        "TEMPORAL_TLS_REQUIRE_CLIENT_AUTH",
        "TEMPORAL_AUTH_AUTHORIZER",
        "TEMPORAL_AUTH_CLAIM_MAPPER",
        "TEMPORAL_JWT_KEY_SOURCE1",
        "USE_INTERNAL_FRONTEND",
    ):
        assert re.search(rf"^\s+# {name}: ", shown, re.MULTILINE), name
    certs = "./deploy/certs:/certs:ro"
    for name in ("temporal", "temporal-setup", "temporal-ui", "worker", "relay"):
        assert certs in _services()[name]["volumes"], name
    assert (ROOT / "deploy" / "certs" / "README.md").is_file()
    assert "deploy/certs/*" in (ROOT / ".gitignore").read_text().splitlines()


# --- Temporal's production images, and what auto-setup used to do ---------------------------------


def _tests_temporal_versions() -> dict[str, str]:
    """The versions of the Temporal server and Web UI the tests run (`temporal server start-dev`)."""
    printed = subprocess.run([str(TEMPORAL), "--version"], capture_output=True, text=True)
    found = re.search(r"Server ([\d.]+), UI ([\d.]+)", printed.stdout)
    assert found, printed.stdout
    return {"server": found.group(1), "ui": found.group(2)}


def test_temporals_production_images_at_the_versions_the_tests_run() -> None:
    services = _services()
    images = [service["image"] for service in services.values()]
    assert not [image for image in images if "auto-setup" in image]
    versions = _tests_temporal_versions()
    assert services["temporal"]["image"] == f"temporalio/server:{versions['server']}"
    for name in ONE_SHOT:
        assert services[name]["image"] == f"temporalio/admin-tools:{versions['server']}", name
    assert services["temporal-ui"]["image"] == f"temporalio/ui:{versions['ui']}"


def test_the_schema_is_set_up_once_for_both_stores_before_the_server_starts() -> None:
    services = _services()
    schema = services["temporal-schema"]
    assert schema["depends_on"] == {"postgresql": {"condition": "service_healthy"}}
    assert services["temporal"]["depends_on"] == {
        "temporal-schema": {"condition": "service_completed_successfully"}
    }
    assert schema["environment"]["SQL_PLUGIN"] == services["temporal"]["environment"]["DB"]
    script = _script("temporal-schema")
    versioned = "/etc/temporal/schema/postgresql/v12"
    for database, store in (("temporal", "temporal"), ("temporal_visibility", "visibility")):
        assert f"--db {database} create-database" in script
        assert f"--db {database} setup-schema -v 0.0" in script
        assert (
            f"--db {database} update-schema -d $schemas/{store}/versioned" in script
            and f"schemas={versioned}" in script
        )
    environment = services["temporal"]["environment"]
    assert (environment["DBNAME"], environment["VISIBILITY_DBNAME"]) == (
        "temporal",
        "temporal_visibility",
    )


def test_the_setup_registers_the_workflows_search_attributes_before_anything_starts() -> None:
    services = _services()
    assert services["temporal-setup"]["depends_on"] == {
        "temporal": {"condition": "service_healthy"}
    }
    for name in ("temporal-ui", "worker", "relay", "codec", "intake"):
        assert services[name]["depends_on"] == {
            "temporal-setup": {"condition": "service_completed_successfully"}
        }, name
    registered = dict(re.findall(r"^attribute (\w+) (\w+)$", _script("temporal-setup"), re.M))
    kinds = {
        SearchAttributeIndexedValueType.KEYWORD: "Keyword",
        SearchAttributeIndexedValueType.BOOL: "Bool",
    }
    assert registered == {key.name: kinds[key.indexed_value_type] for key in ALL_KEYS}


@pytest.mark.e2e
async def test_the_setup_script_runs_against_a_temporal_server_and_again(
    dev_env: WorkflowEnvironment,
) -> None:
    """The one-shot setup's own script, with the Temporal CLI the tests install: a new namespace
    gets the incident search attributes, and a second run changes nothing and succeeds."""
    namespace = f"compose-{uuid.uuid4().hex[:8]}"
    environment = {
        "PATH": f"{TEMPORAL.parent}{os.pathsep}{os.environ['PATH']}",
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "NAMESPACE": namespace,
        "RETENTION": "2160h",
    }
    for _ in range(2):
        process = await asyncio.create_subprocess_exec(
            "/bin/sh", "-euc", _script("temporal-setup"), env=environment,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), timeout=180)
        assert process.returncode == 0, output.decode()
    listed = await dev_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    custom = {name: int(kind) for name, kind in listed.custom_attributes.items()}
    assert {key.name: int(key.indexed_value_type) for key in ALL_KEYS}.items() <= custom.items()


def test_dockerfile_runs_as_a_non_root_user_from_a_slim_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM python:3.11-slim") == 2  # multi-stage
    assert re.search(r"^USER incident$", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["incident"]' in dockerfile
    for package in _packages():
        assert f"COPY {package} " in dockerfile, package


def _package_patterns() -> list[str]:
    """What pyproject.toml tells setuptools to install (``packages.find`` patterns)."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        patterns: list[str] = tomllib.load(file)["tool"]["setuptools"]["packages"]["find"][
            "include"
        ]
    return patterns


def _packages() -> list[str]:
    """The top-level packages pyproject.toml installs: the image copies each of them."""
    return [pattern.rstrip("*") for pattern in _package_patterns()]


def test_a_plain_install_has_every_package() -> None:
    """The image installs with `pip install .`: every folder of code must be a package it finds
    (a subpackage left out, or one without __init__.py, is missing from the image)."""
    import setuptools  # type: ignore[import-untyped]

    roots = _packages()
    found = set(setuptools.find_packages(where=str(ROOT), include=_package_patterns()))
    code_folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for root in roots
        for path in (ROOT / root).rglob("*.py")
    }
    assert code_folders <= found, f"left out of the image: {sorted(code_folders - found)}"
