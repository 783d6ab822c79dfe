"""Health probes the supervisor polls while a service starts."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request


def http_ok(url: str, timeout_s: float = 2.0) -> bool:
    """True when `url` answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError):
        return False


def tcp_open(host: str, port: int, timeout_s: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False
