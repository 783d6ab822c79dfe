"""URL parameters: which are HTTP-interface parameters, which are `{name:Type}` query
parameters, and which are settings — validated the way ClickHouse validates them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from clickhouse_server import errors

# Parameters ClickHouse's HTTP handler consumes itself; they are never settings.
INTERFACE_PARAMS = frozenset(
    {
        "query",
        "database",
        "user",
        "password",
        "quota_key",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "close_session",
        "default_format",
        "compress",
        "decompress",
        "buffer_size",
        "wait_end_of_query",
        "client_protocol_version",
        "role",
        "stacktrace",
        "with_stacktrace",
        "_",  # cache-buster some web UIs append
    }
)
QUERY_PARAM_PREFIX = "param_"
DEFAULT_SESSION_TIMEOUT_S = 60
MAX_SESSION_TIMEOUT_S = 3600


@dataclass(frozen=True)
class SettingsCatalog:
    """The engine's settings (name → default value), read once from `system.settings`."""

    defaults: Mapping[str, str]

    def is_known(self, name: str) -> bool:
        return name in self.defaults


@dataclass
class HttpParams:
    """One request's URL parameters, sorted by what they are for."""

    query: str | None = None
    database: str | None = None
    query_id: str | None = None
    session_id: str | None = None
    session_timeout_s: int = DEFAULT_SESSION_TIMEOUT_S
    session_check: bool = False
    close_session: bool = False
    default_format: str | None = None
    wait_end_of_query: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    query_params: dict[str, str] = field(default_factory=dict)

    def flag(self, setting: str) -> bool:
        """A boolean setting sent in the URL (`1`/`true`)."""
        return self.settings.get(setting, "0").lower() in ("1", "true")


def parse(params: Iterable[tuple[str, str]], catalog: SettingsCatalog) -> HttpParams:
    """Sort URL parameters; an unknown setting raises UNKNOWN_SETTING as ClickHouse does."""
    parsed = HttpParams()
    for name, value in params:
        if name.startswith(QUERY_PARAM_PREFIX):
            parsed.query_params[name.removeprefix(QUERY_PARAM_PREFIX)] = value
        elif name in INTERFACE_PARAMS:
            _apply_interface_param(parsed, name, value)
        elif catalog.is_known(name):
            parsed.settings[name] = value
        else:
            raise errors.ClickHouseError(
                errors.UNKNOWN_SETTING,
                f"Setting {name} is neither a builtin setting nor started with the prefix "
                "'custom_' registered for user-defined settings",
            )
    if "default_format" in parsed.settings and parsed.default_format is None:
        parsed.default_format = parsed.settings["default_format"]
    return parsed


def _apply_interface_param(parsed: HttpParams, name: str, value: str) -> None:
    if name == "query":
        parsed.query = value
    elif name == "database":
        parsed.database = value or None
    elif name == "query_id":
        parsed.query_id = value or None
    elif name == "session_id":
        parsed.session_id = value or None
    elif name == "session_timeout":
        parsed.session_timeout_s = _session_timeout(value)
    elif name == "session_check":
        parsed.session_check = value == "1"
    elif name == "close_session":
        parsed.close_session = value == "1"
    elif name == "default_format":
        parsed.default_format = value or None
    elif name == "wait_end_of_query":
        parsed.wait_end_of_query = value == "1"
    elif name in ("compress", "decompress") and value == "1":
        # ClickHouse's own block compression (CityHash-checksummed frames); clients use HTTP
        # Content-Encoding instead, which is supported.
        raise errors.ClickHouseError(
            errors.NOT_IMPLEMENTED,
            f"The '{name}=1' HTTP parameter (ClickHouse native block compression) is not "
            "supported by this server; use Content-Encoding / Accept-Encoding",
        )


def _session_timeout(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise errors.ClickHouseError(
            errors.BAD_ARGUMENTS, f"Invalid session timeout: '{value}'"
        ) from None
    if seconds > MAX_SESSION_TIMEOUT_S:
        raise errors.ClickHouseError(
            errors.BAD_ARGUMENTS,
            f"Session timeout '{seconds}' is larger than max_session_timeout: "
            f"{MAX_SESSION_TIMEOUT_S}. Maximum session timeout could be modified in configuration",
        )
    return seconds


def check_readonly_user(parsed: HttpParams, catalog: SettingsCatalog) -> None:
    """A `readonly=1` user may not change settings (READONLY), as in ClickHouse.

    A value equal to the default changes nothing and is accepted, so clients that echo
    defaults keep working.
    """
    for name, value in parsed.settings.items():
        if catalog.defaults.get(name) != value:
            raise errors.ClickHouseError(
                errors.READONLY, f"Cannot modify '{name}' setting in readonly mode"
            )
    parsed.settings.clear()


def set_statement(settings: Mapping[str, str]) -> str | None:
    """`SET a = '1', b = 'x'`: values as string literals, converted by each setting's type."""
    if not settings:
        return None
    assignments = ", ".join(f"{name} = {quote(value)}" for name, value in settings.items())
    return f"SET {assignments}"


def quote(value: str) -> str:
    """A ClickHouse single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
