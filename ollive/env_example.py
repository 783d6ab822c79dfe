"""`.env.example`, generated from the registry so that it lists every variable exactly as read.

`python -m ollive.env_example` (`make env-example`) rewrites it; a test holds the committed
file to this output. The SDK's producer variables are listed from `ollive_sdk.config`.
"""

from __future__ import annotations

import json
from pathlib import Path

from ollive_sdk.config import ENV_VARS as SDK_ENV_VARS
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from ollive_contract.settings import REGISTRY
from ollive_contract.settings.base import env_name

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"

HEADER = """\
# Ollive configuration, generated from ollive_contract/settings/ (`make env-example`); edit the
# settings classes, not this file. Copy it to `.env` and change what you need: every value is
# the default the embedded stack (`make demo`, `ollive up`) uses. Commented-out variables have
# no default (or a computed one, said in their description). Secrets here are for the local,
# loopback-only stack; production (docker-compose.yml) refuses to start without real ones.
"""

# Not settings of the platform, but names this file documents for the operator.
EXTRA_SECTIONS = {
    "docker compose only (docker-compose.yml interpolates them)": {
        "OLLIVE_POSTGRES_PASSWORD": (
            "Password of the `ollive` Postgres user (Dagster, Superset); letters, digits, . _ ~ -."
        ),
        "OLLIVE_STORE_ROOT_ACCESS_KEY": (
            "Root S3 identity of the bundled S3 server; only the init service (bucket) holds it."
        ),
        "OLLIVE_STORE_ROOT_SECRET_KEY": "Secret key of that root identity.",
        "OLLIVE_STORE_INGEST_ACCESS_KEY": (
            "S3 identity of the ingest API: reads and writes objects in the bucket, nothing else."
        ),
        "OLLIVE_STORE_INGEST_SECRET_KEY": "Secret key of the ingest API's S3 identity.",
    },
}


def _nested(field: FieldInfo) -> bool:
    return isinstance(field.annotation, type) and issubclass(field.annotation, BaseSettings)


def _value(default: object) -> str:
    if isinstance(default, SecretStr):
        return default.get_secret_value()
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, list | dict):
        return json.dumps(default, separators=(",", ":"))
    text = str(default)
    return json.dumps(text) if any(c in text for c in " '\"#") else text


def section(settings: type[BaseSettings]) -> list[str]:
    """The lines documenting one settings class."""
    module = settings.__module__.replace(".", "/") + ".py"
    title = (settings.__doc__ or settings.__name__).strip().splitlines()[0]
    lines = [f"# --- {settings.__name__} ({module}): {title}"]
    for name, field in settings.model_fields.items():
        if _nested(field):
            continue
        lines.append(f"# {field.description}" if field.description else "#")
        default = field.get_default(call_default_factory=True)
        variable = env_name(settings, name)
        if default is None:
            lines.append(f"# {variable}=")
        elif isinstance(default, Path):
            # paths the launcher or the working directory decide: shown, not set
            shown = default.relative_to(ROOT) if default.is_absolute() else default
            lines.append(f"# {variable}={shown}")
        else:
            lines.append(f"{variable}={_value(default)}")
    return lines


def render() -> str:
    blocks = [HEADER.rstrip("\n")]
    for settings in REGISTRY:
        blocks.append("\n".join(section(settings)))
    sdk = [
        "# --- the SDK (sdk/src/ollive_sdk/config.py): the producer's variables; the chatbot and",
        "# the demo send their events with them. sdk/README.md describes each.",
    ]
    sdk += [f"# {name}=" for name in SDK_ENV_VARS]
    blocks.append("\n".join(sdk))
    for title, variables in EXTRA_SECTIONS.items():
        lines = [f"# --- {title}"]
        for variable, description in variables.items():
            lines += [f"# {description}", f"{variable}="]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


if __name__ == "__main__":
    ENV_EXAMPLE.write_text(render())
    print(f"wrote {ENV_EXAMPLE.relative_to(ROOT)}")
