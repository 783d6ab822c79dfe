"""`python -m ollive.production.first_start`: the compose stack's one-shot init service.

Run before the ingest API on every `docker compose up`, and idempotent: refuses public or weak
secrets among those it is given, creates the bucket (with the object store's root identity,
which no long-running service holds), creates the PostgreSQL databases the services expect when
they are missing (the image's init script runs only on an empty data volume, so a volume from
an older release lacks the newer ones), and registers the chatbot's SDK key in the ingest key
store, so the chatbot's key never has to be minted by hand inside a running container.
"""

from __future__ import annotations

import sys

from ollive_sdk.config import Config

from ingest_api.keys.store import open_key_store
from ollive.production.secrets import SDK_KEY, refused
from ollive.stack.postgres import DATABASES
from ollive.stack.seaweedfs import S3Credentials, ensure_bucket
from ollive_contract.settings import IngestSettings, ObjectStoreSettings

CHATBOT_PROJECT = "chatbot"


def ensure_databases(server_url: str, names: tuple[str, ...] = DATABASES) -> list[str]:
    """Create each of `names` missing on the server of `server_url`; returns those created."""
    import psycopg
    from psycopg import sql

    created = []
    conninfo = psycopg.conninfo.make_conninfo(server_url, dbname="postgres")
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        have = {row[0] for row in conn.execute("select datname from pg_database")}
        for name in names:
            if name not in have:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
                created.append(name)
    return created


def first_start(s3: ObjectStoreSettings, ingest: IngestSettings, sdk_key: str) -> None:
    reasons = refused({"OLLIVE_S3_SECRET_KEY": s3.secret_key.get_secret_value(), SDK_KEY: sdk_key})
    if reasons:
        raise SystemExit("refusing to start the stack:\n  " + "\n  ".join(reasons))
    creds = S3Credentials(
        s3.endpoint, s3.access_key, s3.secret_key.get_secret_value(), s3.bucket, s3.region
    )
    ensure_bucket(creds)
    print(f"bucket {s3.bucket} ready at {s3.endpoint}")
    if ingest.keys_database_url is not None:
        created = ensure_databases(ingest.keys_database_url.get_secret_value())
        print(f"databases created: {', '.join(created)}" if created else "databases present")
    info = open_key_store(ingest).add(sdk_key, CHATBOT_PROJECT, "the chatbot (compose)")
    state = f"revoked {info.revoked_at}" if info.revoked_at else "active"
    print(f"SDK key {info.key_id} of project {info.project_id}: {state}")


def main() -> None:
    sdk_key = Config.resolve().api_key or ""
    first_start(ObjectStoreSettings(), IngestSettings(), sdk_key)


if __name__ == "__main__":
    sys.exit(main())
