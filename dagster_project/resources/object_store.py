"""The object store holding the raw NDJSON.gz objects (SeaweedFS locally, MinIO or S3 elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg
from pydantic import Field


class ObjectStoreResource(dg.ConfigurableResource):
    """An S3 bucket, as seen by Dagster (boto3) and by ClickHouse's `s3()` function."""

    endpoint: str = Field(description="S3 endpoint URL Dagster uses, e.g. http://127.0.0.1:8333.")
    access_key: str = Field(description="S3 access key id.")
    secret_key: str = Field(description="S3 secret access key.")
    bucket: str = Field(description="Bucket holding `raw/` objects and the `lake/`.")
    region: str = Field("us-east-1", description="S3 region name sent by clients.")
    clickhouse_endpoint: str | None = Field(
        None,
        description=(
            "S3 endpoint URL as ClickHouse reaches it (differs when ClickHouse runs elsewhere, "
            "e.g. in a container); defaults to `endpoint`."
        ),
    )

    def client(self) -> Any:
        """A boto3 S3 client (path-style addressing: SeaweedFS and MinIO need it)."""
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                max_pool_connections=16,
                s3={"addressing_style": "path"},
            ),
        )

    def list_keys(self, prefix: str, client: Any = None) -> Iterator[tuple[str, int]]:
        """(key, size) of every object under `prefix`, following pagination."""
        paginator = (client or self.client()).get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents") or ():
                yield obj["Key"], obj["Size"]

    def clickhouse_url(self, key: str) -> str:
        """The object's URL for ClickHouse's `s3()` table function."""
        base = (self.clickhouse_endpoint or self.endpoint).rstrip("/")
        return f"{base}/{self.bucket}/{key}"
