"""Port checks: fail early with a clear message instead of a half-started stack."""

from __future__ import annotations

import socket


class PortInUseError(RuntimeError):
    """A port the stack needs is already taken by another process."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def require_free(service: str, host: str, ports: list[int]) -> None:
    taken = [p for p in ports if not port_is_free(host, p)]
    if taken:
        listed = ", ".join(f"{host}:{p}" for p in taken)
        raise PortInUseError(
            f"{service}: port {listed} is already in use by another process. "
            f"Stop it (`ss -ltnp | grep :{taken[0]}` shows which), or choose another port in .env."
        )


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now (tests start services on these)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_ports(count: int, below: int = 55_000) -> list[int]:
    """`count` distinct free ports below `below` (SeaweedFS adds 10000 for its gRPC ports)."""
    ports: set[int] = set()
    while len(ports) < count:
        port = free_port()
        if port < below and port_is_free("127.0.0.1", port + 10_000):
            ports.add(port)
    return sorted(ports)
