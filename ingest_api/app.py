"""App factory: builds every part from `IngestSettings`, warms up, and flushes on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI

from ingest_api import health, routes
from ingest_api.group_commit import GroupCommitter
from ingest_api.keys import KeyStore
from ingest_api.metrics import IngestMetrics
from ingest_api.redaction import Redactor
from ingest_api.settings import IngestSettings
from ingest_api.spool import Spool
from ingest_api.spool_upload import drain_once, upload_forever
from ingest_api.state import IngestState
from ingest_api.store import ObjectStore

log = logging.getLogger("ingest_api")
DEMO_PROJECT = "demo"


def build_state(settings: IngestSettings) -> IngestState:
    stack = settings.stack
    metrics = IngestMetrics()
    store = ObjectStore(
        endpoint=stack.s3_url,
        access_key=stack.s3_access_key,
        secret_key=stack.s3_secret_key.get_secret_value(),
        bucket=stack.s3_bucket,
        region=stack.s3_region,
        timeout=settings.store_timeout_seconds,
        threads=max(8, settings.commit_concurrency * 3),
    )
    spool = Spool(settings.spool_path, settings.spool_max_bytes)
    keys = KeyStore(settings.keys_path)
    if settings.provision_demo_key:
        keys.add(stack.demo_api_key.get_secret_value(), DEMO_PROJECT, "demo key (local stack)")
    redactor = None
    if settings.pii_enabled:
        redactor = Redactor(
            settings.pii_entities,
            ner_entities=settings.pii_ner_entities,
            spacy_model=settings.pii_spacy_model,
            fast_path=settings.pii_fast_path,
            cache_size=settings.pii_cache_size,
        )
        redactor.warm_up()
    committer = GroupCommitter(
        store,
        spool,
        metrics,
        max_events=settings.commit_max_events,
        max_bytes=settings.commit_max_bytes,
        max_ms=settings.commit_max_ms,
        concurrency=settings.commit_concurrency,
        gzip_level=settings.gzip_level,
        store_backoff_seconds=settings.spool_retry_seconds,
    )
    cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare")
    return IngestState(settings, keys, store, spool, committer, metrics, redactor, cpu)


def create_app(settings: IngestSettings) -> FastAPI:
    """The ingest API; all state is built in the lifespan, from `settings` only."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings)
        app.state.ingest = state
        if not await state.store.run(state.store.ensure_bucket):
            log.warning("object store unreachable at startup; acks go to the spool until it is")
        uploader = asyncio.create_task(
            upload_forever(
                state.spool, state.committer, state.metrics, settings.spool_retry_seconds
            )
        )
        ner = state.redactor.ner_model if state.redactor else None
        log.info(
            "ingest API ready: pii=%s ner_model=%s spool=%s",
            settings.pii_enabled,
            ner,
            settings.spool_path,
        )
        try:
            yield
        finally:
            await state.committer.flush()
            uploader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await uploader
            await drain_once(state.spool, state.committer, state.metrics)
            state.cpu.shutdown(wait=True)
            state.store.close()

    app = FastAPI(
        title="Ollive ingest API",
        version="1",
        summary="Validated, PII-redacted, durable intake of LLM observability events.",
        lifespan=lifespan,
    )
    app.include_router(routes.router)
    app.include_router(health.router)
    return app
