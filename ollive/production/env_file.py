"""The compose stack's `.env`: every variable docker-compose.yml interpolates, nothing else.

A variable compose requires (`${NAME:?...}`) gets a freshly generated value; one it defaults
(`${NAME:-value}`) is written with compose's own default, to be edited in place. Descriptions
come from `.env.example`, so both files describe a variable in the same words.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ollive import env_example
from ollive.production.secrets import generate

COMPOSE_FILE = env_example.ROOT / "docker-compose.yml"
# `${NAME}`, `${NAME:-default}`, `${NAME:?message}` (compose's `$$` escapes are not variables)
_INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")
# compose reads it from .env: the profile that runs the bundled S3 server (docs/production.md)
PROFILES = (
    "COMPOSE_PROFILES",
    "seaweedfs",
    "Compose profiles: `seaweedfs` runs the bundled S3 server.",
)
# the SDK's variables carry no description in .env.example (sdk/README.md has them)
SDK_DESCRIPTIONS = {
    "OLLIVE_API_KEY": "SDK key the chatbot sends its events with; the init service registers it.",
}


@dataclass(frozen=True)
class ComposeVariable:
    name: str
    required: bool
    default: str


def compose_variables(text: str | None = None) -> list[ComposeVariable]:
    """The variables docker-compose.yml interpolates, in order of first use."""
    text = COMPOSE_FILE.read_text() if text is None else text
    found: dict[str, ComposeVariable] = {}
    for name, op, arg in _INTERPOLATION.findall(text):
        seen = found.get(name)
        required = op.endswith("?") or (seen is not None and seen.required)
        default = arg if op.endswith("-") else (seen.default if seen else "")
        found[name] = ComposeVariable(name, required, default)
    return list(found.values())


def descriptions() -> dict[str, str]:
    """Each variable's one-line description, as `.env.example` gives it."""
    lines = env_example.render().splitlines()
    found = {}
    for comment, line in itertools.pairwise(lines):
        match = re.match(r"#? ?([A-Z][A-Z0-9_]*)=", line)
        described = comment.startswith("# ") and not re.match(r"# (---|[A-Z0-9_]+=)", comment)
        if match and described:
            found[match.group(1)] = comment[2:]
    return found | SDK_DESCRIPTIONS


def render(variables: list[ComposeVariable] | None = None) -> str:
    """A production `.env` with generated secrets (a new one on every call)."""
    about = descriptions()
    name, value, description = PROFILES
    lines = [
        "# The compose stack's settings (docker-compose.yml; docs/production.md), written by",
        "# `ollive prod init` with generated secrets. Keep this file out of version control and",
        "# images; `ollive prod check` refuses public or weak secrets.",
        "",
        f"# {description}",
        f"{name}={value}",
    ]
    for variable in compose_variables() if variables is None else variables:
        lines += ["", f"# {about.get(variable.name, variable.name)}"]
        value = generate(variable.name) if variable.required else variable.default
        lines.append(f"{variable.name}={value}")
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    """Write `text` readable by its owner only (it holds every secret of the stack)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def read(path: Path) -> dict[str, str]:
    """`NAME=value` lines of an env file (compose's syntax without quotes or expansions)."""
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return env
