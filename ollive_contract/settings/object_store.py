"""The object store holding the raw lake (SeaweedFS embedded and in compose, or any S3 server)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from ollive_contract.settings.base import env_config


class ObjectStoreSettings(BaseSettings):
    """Where the raw NDJSON.gz objects live and the credentials to reach them."""

    model_config = env_config("OLLIVE_S3_")

    endpoint: str = Field(
        "http://127.0.0.1:8333",
        description="S3 endpoint URL; the embedded SeaweedFS gateway listens on its port.",
    )
    clickhouse_endpoint: str | None = Field(
        None,
        description="The endpoint as ClickHouse reaches it, when it differs (containers).",
    )
    access_key: str = Field("ollive", description="S3 access key id.")
    secret_key: SecretStr = Field(
        SecretStr("ollive-local-secret"), description="S3 secret access key."
    )
    bucket: str = Field("ollive-raw", description="Bucket holding the raw NDJSON.gz objects.")
    region: str = Field("us-east-1", description="S3 region name sent by clients.")

    @property
    def port(self) -> int:
        parts = urlsplit(self.endpoint)
        return parts.port or (443 if parts.scheme == "https" else 80)
