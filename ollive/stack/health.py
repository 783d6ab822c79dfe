"""Health probes the supervisor polls while a service starts."""

from __future__ import annotations

import urllib.error
import urllib.request


def http_ok(url: str, timeout_s: float = 2.0) -> bool:
    """True when `url` answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError):
        return False
