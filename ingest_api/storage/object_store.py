"""The object store client: boto3 (thread-safe, connection-pooled) behind a small thread pool.

boto3 blocks, so each call runs in the pool; aiobotocore would add a dependency for no gain at
a few dozen PUTs a second. gzip happens in the same threads (zlib releases the GIL).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

StoreError = (BotoCoreError, ClientError, OSError)


class ObjectStore:
    """PUT, ping and bucket creation against one S3 bucket."""

    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        region: str,
        timeout: float,
        threads: int = 8,
    ) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 2, "mode": "standard"},
                max_pool_connections=threads,
                s3={"addressing_style": "path"},
            ),
        )
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="s3")

    def put(self, key: str, body: bytes, metadata: dict[str, str]) -> None:
        self._client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            Metadata=metadata,
            ContentType="application/x-ndjson",
            ContentEncoding="gzip",
        )

    def ping(self) -> bool:
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return True
        except StoreError:
            return False

    def ensure_bucket(self) -> bool:
        """Create the bucket if missing; False when the store cannot be reached."""
        if self.ping():
            return True
        try:
            self._client.create_bucket(Bucket=self.bucket)
            return True
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            return code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists")
        except StoreError:
            return False

    async def run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
