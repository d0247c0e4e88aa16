"""The production stack's files hold together: no Docker engine runs here, so check what we can."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from temporal_client.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_has_the_services_the_readme_names() -> None:
    services = _compose()["services"]
    assert {"postgresql", "temporal", "temporal-ui", "worker", "relay"} <= set(services)
    readme = (ROOT / "README.md").read_text()
    for name in services:
        assert f"`{name}`" in readme, f"README does not describe the {name} service"


def test_every_image_is_pinned_to_a_version() -> None:
    for name, service in _compose()["services"].items():
        image = service.get("image")
        assert image, f"{name} has no image"
        assert re.fullmatch(r"[\w./-]+:\d[\w.-]*", image), f"{name}: {image} is not pinned"


def test_long_running_services_restart_and_report_health() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
    for name in ("postgresql", "temporal"):
        assert "healthcheck" in services[name], name
    assert services["worker"]["deploy"]["replicas"] == 2


def test_dependencies_name_existing_services() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_incident_services_use_only_known_settings() -> None:
    services = _compose()["services"]
    for name in ("worker", "relay"):
        assert set(services[name]["environment"]) <= SETTING_NAMES, name


def test_env_example_names_only_real_settings() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert names, ".env.example is empty"
    unknown = names - SETTING_NAMES
    assert not unknown, f"not settings: {sorted(unknown)}"


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
