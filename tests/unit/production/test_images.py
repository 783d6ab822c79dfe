"""The images compose builds: lint-clean, non-root with writable state, nothing secret inside,
and every command a service runs resolves to code the image contains."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.unit.production.compose import COMPOSE_FILE, ROOT

DOCKERFILES = [ROOT / "Dockerfile", ROOT / "superset_config" / "Dockerfile"]
SERVICES = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
APP_IMAGE = {name: s for name, s in SERVICES.items() if s.get("build") == "."}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_hadolint(dockerfile: Path) -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    done = subprocess.run([str(hadolint), str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_images_run_as_uid_1000(dockerfile: Path) -> None:
    users = re.findall(r"^USER (\S+)", dockerfile.read_text(), re.MULTILINE)
    assert users and users[-1] == "1000:1000"


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rules: last match wins, `!` re-includes, a match on a folder
    excludes what is under it."""
    result = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        parts = path.split("/")
        if any(re.fullmatch(regex, "/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            result = not negate
    return result


def test_no_image_contains_an_env_file_or_local_state() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line for line in lines if line.strip() and not line.startswith("#")]
    for path in [
        ".env",
        ".env.production",
        "superset_config/.env",
        "dbt_project/.env.local",
        ".ollive/ingest/keys.sqlite",
        ".venv/bin/python",
        "superset_config/.venv/bin/python",
        ".git/config",
        "dbt_project/target/manifest.json",
    ]:
        assert _ignored(path, patterns), path
    for path in [".env.example", "ingest_api/__main__.py", "docker/dagster/dagster.yaml"]:
        assert not _ignored(path, patterns), path


def _commands(service: dict) -> list[list[str]]:
    command = service.get("command") or []
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part.removeprefix("exec ")) for part in command[2].split(" && ")]
    return [command]


def _module_in_repo(module: str) -> bool:
    path = ROOT / module.replace(".", "/")
    return (path / "__main__.py").exists() or path.with_suffix(".py").exists()


CONSOLE_SCRIPTS = {ep.name for ep in importlib.metadata.entry_points(group="console_scripts")}


@pytest.mark.parametrize("name", sorted(APP_IMAGE))
def test_every_command_resolves_to_code_in_the_image(name: str) -> None:
    for argv in _commands(APP_IMAGE[name]):
        program, args = argv[0], argv[1:]
        if program == "python":
            assert args[0] == "-m" and _module_in_repo(args[1]), argv
        else:
            assert program in CONSOLE_SCRIPTS, f"{program}: no dependency declares it"
        if "-m" in args and program != "python":
            assert importlib.util.find_spec(args[args.index("-m") + 1]), argv
        for arg in args:
            if arg.startswith("/opt/dagster/home/"):
                mounts = [v.split(":")[1] for v in APP_IMAGE[name]["volumes"] if ":" in v]
                assert arg in mounts, f"{arg} is not mounted into {name}"


def test_superset_command_resolves() -> None:
    cmd = (ROOT / "superset_config" / "Dockerfile").read_text()
    assert ".venv/bin/python bootstrap.py" in cmd
    assert (ROOT / "superset_config" / "bootstrap.py").exists()


def test_bind_mounts_exist() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source}"


def test_writable_paths_are_created_and_owned_by_the_service_user() -> None:
    """Named volumes start as a copy of the image's folder, owner included."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("$DAGSTER_HOME", "/opt/dagster/home")
    chown = re.search(r"chown -R 1000:1000 ([^\n]+)", dockerfile)
    assert chown, "the Dockerfile chowns the writable paths"
    owned = [p.strip('"') for p in chown.group(1).split()]
    owned = [p if p.startswith("/") else f"/app/{p}" for p in owned]
    written = {"/app/dbt_project/target", "/app/dbt_project/logs"}
    for service in APP_IMAGE.values():
        volumes = [v for v in service.get("volumes", []) if not v.startswith(".")]
        # `name:/path` is a named volume, a bare `/path` an anonymous one
        written |= {v.split(":")[1] if ":" in v else v for v in volumes}
        env = service.get("environment") or {}
        written |= {v for k, v in env.items() if k.endswith(("_DIR", "_DB")) and v.startswith("/")}
    for path in written:
        assert any(path == o or path.startswith(o + "/") for o in owned), path
