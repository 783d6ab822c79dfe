"""ClickHouse over HTTP (the embedded chDB server locally, a ClickHouse server in production)."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field


class ClickHouseResource(dg.ConfigurableResource):
    """A clickhouse-connect client factory for the pipeline's read-write user."""

    host: str = Field("127.0.0.1", description="ClickHouse HTTP host.")
    port: int = Field(8123, description="ClickHouse HTTP port.")
    username: str = Field("default", description="Read-write user.")
    password: str = Field("", description="Password of the read-write user.")
    secure: bool = Field(False, description="Use HTTPS.")
    connect_timeout_s: float = Field(10, description="Connect timeout in seconds.")
    send_receive_timeout_s: float = Field(
        300, description="Read timeout in seconds (a large object load can take a while)."
    )

    def get_client(self, **settings: Any) -> Any:
        """A new client; one per thread (clickhouse-connect clients are not thread-safe)."""
        import clickhouse_connect

        return clickhouse_connect.get_client(
            host=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            secure=self.secure,
            connect_timeout=self.connect_timeout_s,
            send_receive_timeout=self.send_receive_timeout_s,
            autogenerate_session_id=False,
            settings=settings or None,
        )
