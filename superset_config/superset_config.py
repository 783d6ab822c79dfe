"""Superset's configuration for Ollive, read from the environment (loaded via SUPERSET_CONFIG_PATH).

Embedded: SQLite metadata and file caches under `$OLLIVE_SUPERSET_STATE_DIR`. Compose: Postgres
metadata through `OLLIVE_SUPERSET_DATABASE_URI`. Superset refuses to start without a real secret.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Placeholders that ship in Superset's docs, its old default config and our .env.example.
_KNOWN_DEFAULTS = {
    "",
    "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",
    "thisISaSECRET_1234",
    "\2\1thisismyscretkey\1\2\\e\\y\\y\\h",
    "change-me",
    "changeme",
    "replace-with-a-long-random-string",
}
_MIN_SECRET_LENGTH = 32
# Booleans spelled as pydantic-settings (ollive_contract/settings/superset.py) accepts them.
_TRUE = {"1", "true", "yes", "on"}


def _secret_key() -> str:
    key = os.environ.get("OLLIVE_SUPERSET_SECRET_KEY", "")
    if key in _KNOWN_DEFAULTS or len(key) < _MIN_SECRET_LENGTH:
        raise RuntimeError(
            "Superset refuses to start: OLLIVE_SUPERSET_SECRET_KEY is missing, a known default, "
            f"or shorter than {_MIN_SECRET_LENGTH} characters. It signs sessions and encrypts "
            "the stored database passwords; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    return key


STATE_DIR = Path(os.environ.get("OLLIVE_SUPERSET_STATE_DIR", ".ollive/superset")).resolve()
STATE_DIR.mkdir(parents=True, exist_ok=True)
DATA_DIR = str(STATE_DIR)

SECRET_KEY = _secret_key()
# Compose sets Postgres; the embedded default is SQLite in the state dir.
SQLALCHEMY_DATABASE_URI = (
    os.environ.get("OLLIVE_SUPERSET_DATABASE_URI")
    or f"sqlite:///{STATE_DIR / 'superset.db'}?check_same_thread=false"
)
SQLALCHEMY_TRACK_MODIFICATIONS = False

# Dashboards as the analysts use them: native filters and cross-filtering between charts.
FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": True,
    "DASHBOARD_RBAC": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
    "ALERT_REPORTS": False,
    "GLOBAL_ASYNC_QUERIES": False,
}


def _cache(prefix: str, timeout_s: int) -> dict:
    return {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": str(STATE_DIR / "cache" / prefix),
        "CACHE_DEFAULT_TIMEOUT": timeout_s,
        "CACHE_KEY_PREFIX": f"ollive_{prefix}_",
        "CACHE_THRESHOLD": 5000,
    }


_DATA_CACHE_S = int(os.environ.get("OLLIVE_SUPERSET_DATA_CACHE_SECONDS", "60"))
CACHE_CONFIG = _cache("metadata", 300)
# Chart results: short, so a refreshed dashboard shows fresh 5-minute buckets.
DATA_CACHE_CONFIG = _cache("data", _DATA_CACHE_S)
FILTER_STATE_CACHE_CONFIG = _cache("filter_state", 86400)
EXPLORE_FORM_DATA_CACHE_CONFIG = _cache("explore", 86400)
RATELIMIT_STORAGE_URI = "memory://"

# Nothing phones home: no Scarf pixel, no map tiles, no external help links.
SCARF_ANALYTICS = False
MAPBOX_API_KEY = ""
HELP_MENU_ITEMS: list = []
DOCUMENTATION_URL = None
BUG_REPORT_URL = None

SUPERSET_WEBSERVER_PORT = int(os.environ.get("OLLIVE_SUPERSET_PORT", "8088"))
SUPERSET_WEBSERVER_TIMEOUT = 60
ROW_LIMIT = 10000
# "Last day" / "Last week" are rolling windows ending now, not midnight-to-midnight: the
# dashboards default to "Last day", and an operations view must include the last few minutes.
DEFAULT_RELATIVE_START_TIME = "now"
DEFAULT_RELATIVE_END_TIME = "now"
SQL_MAX_ROW = 100000
SQLLAB_TIMEOUT = 60

# Behind compose's proxy the app sees X-Forwarded-*; locally it serves plain HTTP on loopback.
ENABLE_PROXY_FIX = os.environ.get("OLLIVE_SUPERSET_BEHIND_PROXY", "false").lower() in _TRUE
SESSION_COOKIE_SECURE = os.environ.get("OLLIVE_SUPERSET_SECURE_COOKIES", "false").lower() in _TRUE
SESSION_COOKIE_SAMESITE = "Lax"
TALISMAN_ENABLED = SESSION_COOKIE_SECURE
WTF_CSRF_ENABLED = True

# Our own Superset hooks live beside this file (Superset loads it by path).
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The action log (the `logs` table) written by a thread, not inside each request: Superset's own
# logger commits four rows per chart request (action_log.py). `request` restores it; `off`
# keeps no action log.
_ACTION_LOG = os.environ.get("OLLIVE_SUPERSET_ACTION_LOG", "background").lower()
if _ACTION_LOG not in {"background", "request", "off"}:
    raise RuntimeError(
        f"OLLIVE_SUPERSET_ACTION_LOG={_ACTION_LOG!r}: expected background, request or off"
    )
if _ACTION_LOG != "request":
    from action_log import BackgroundEventLogger, NoEventLogger

    EVENT_LOGGER = BackgroundEventLogger() if _ACTION_LOG == "background" else NoEventLogger()

# One ClickHouse connection per worker and database, not a new client (three queries to the
# server before the chart's own) per chart query (clickhouse_clients.py).
if os.environ.get("OLLIVE_SUPERSET_REUSE_CLICKHOUSE_CONNECTIONS", "true").lower() in _TRUE:
    from clickhouse_clients import reuse_connections

    DB_CONNECTION_MUTATOR = reuse_connections
