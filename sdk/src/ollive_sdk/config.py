"""Client configuration from arguments, falling back to `OLLIVE_*` environment variables.

A bad value never raises into the host: it is logged once and the default is used instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ollive_sdk._log import warn_once
from ollive_sdk.encode import Mask
from ollive_sdk.transport import TransportConfig

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# environment variable -> (Config field or "transport.<field>", type)
ENV_VARS: dict[str, tuple[str, type]] = {
    "OLLIVE_ENDPOINT": ("endpoint", str),
    "OLLIVE_API_KEY": ("api_key", str),
    "OLLIVE_SERVICE": ("service", str),
    "OLLIVE_ENVIRONMENT": ("environment", str),
    "OLLIVE_ENABLED": ("enabled", bool),
    "OLLIVE_SAMPLE_RATE": ("sample_rate", float),
    "OLLIVE_CAPTURE_PREVIEWS": ("capture_previews", bool),
    "OLLIVE_SPOOL_DIR": ("spool_dir", str),
    "OLLIVE_SPOOL_MAX_BYTES": ("spool_max_bytes", int),
    "OLLIVE_REQUEST_TIMEOUT": ("request_timeout_s", float),
    "OLLIVE_MAX_QUEUE_SIZE": ("transport.max_queue_size", int),
    "OLLIVE_MAX_BATCH_EVENTS": ("transport.max_batch_events", int),
    "OLLIVE_MAX_BATCH_BYTES": ("transport.max_batch_bytes", int),
    "OLLIVE_FLUSH_INTERVAL": ("transport.flush_interval_s", float),
    "OLLIVE_SHUTDOWN_TIMEOUT": ("transport.shutdown_timeout_s", float),
}


@dataclass(frozen=True)
class Config:
    """Everything a `Client` needs; `enabled=False`, or no endpoint or key, makes it a no-op."""

    endpoint: str | None = None
    api_key: str | None = None
    service: str = "unknown_service"  # the OpenTelemetry default for `service.name`
    environment: str | None = None
    enabled: bool = True
    sample_rate: float = 1.0
    capture_previews: bool = True
    spool_dir: str | None = None  # set it to turn durable mode on
    spool_max_bytes: int = 100 * 1024 * 1024
    request_timeout_s: float = 10.0
    mask: Mask | None = None
    transport: TransportConfig = field(default_factory=TransportConfig)

    @classmethod
    def resolve(cls, environ: Mapping[str, str] | None = None, **given: Any) -> Config:
        """Arguments win over the environment, the environment over defaults."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        transport: dict[str, Any] = {}
        for var, (name, kind) in ENV_VARS.items():
            raw = environ.get(var)
            if raw is None or raw == "":
                continue
            value = _parse(var, raw, kind)
            if value is None:
                continue
            if name.startswith("transport."):
                transport[name.split(".", 1)[1]] = value
            else:
                values[name] = value
        known = {f.name for f in fields(cls)}
        for name, value in given.items():
            if value is None:
                continue
            if name in known:
                values[name] = value
            else:
                warn_once(f"config:{name}", "ollive: unknown option %r ignored", name)
        base = values.pop("transport", None) or TransportConfig()
        values["transport"] = replace(base, **transport) if transport else base
        config = cls(**values)
        if not 0.0 <= config.sample_rate <= 1.0:
            warn_once("config:sample_rate", "ollive: sample_rate must be in [0, 1]; using 1")
            config = replace(config, sample_rate=1.0)
        return config

    @property
    def active(self) -> bool:
        return bool(self.enabled and self.endpoint and self.api_key)


def _parse(var: str, raw: str, kind: type) -> Any:
    try:
        if kind is bool:
            low = raw.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(raw)
        return kind(raw)
    except ValueError:
        warn_once(f"env:{var}", "ollive: ignoring %s=%r (not a %s)", var, raw, kind.__name__)
        return None
