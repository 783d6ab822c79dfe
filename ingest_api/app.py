"""App factory: builds every part from `IngestSettings`, warms up, and flushes on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request, Response

from ingest_api.api import health, logs, otlp_traces
from ingest_api.api.body_drain import DrainRefusedBody
from ingest_api.api.errors import RequestRefused
from ingest_api.api.rate_limit import KeyQuotas
from ingest_api.api.shared_quota import open_shared_quotas
from ingest_api.intake.workers import freeze_long_lived, start_workers
from ingest_api.keys.store import open_key_store
from ingest_api.metrics import IngestMetrics
from ingest_api.state import IngestState
from ingest_api.storage.group_commit import GroupCommitter
from ingest_api.storage.object_store import ObjectStore
from ingest_api.storage.spool import Spool
from ingest_api.storage.spool_upload import drain_once, upload_forever
from ollive_contract.settings import IngestSettings

log = logging.getLogger("ingest_api")
DEMO_PROJECT = "demo"


def build_state(settings: IngestSettings) -> IngestState:
    s3 = settings.s3
    metrics = IngestMetrics()
    store = ObjectStore(
        endpoint=s3.endpoint,
        access_key=s3.access_key,
        secret_key=s3.secret_key.get_secret_value(),
        bucket=s3.bucket,
        region=s3.region,
        timeout=settings.store_timeout_seconds,
        threads=max(8, settings.commit_concurrency * 3),
    )
    spool = Spool(settings.spool_path, settings.spool_max_bytes)
    keys = open_key_store(settings)
    if settings.provision_demo_key:
        keys.add(settings.demo_api_key.get_secret_value(), DEMO_PROJECT, "demo key (local stack)")
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
    return IngestState(settings, keys, store, spool, committer, metrics, start_workers(settings))


async def _answer_refused(request: Request, exc: Exception) -> Response:
    """A dependency's refusal, in the format of the route it refused (OTLP or native)."""
    assert isinstance(exc, RequestRefused)
    if request.url.path == otlp_traces.PATH:
        return await otlp_traces.answer_refused(request, exc)
    return await logs.answer_refused(request, exc)


def create_app(settings: IngestSettings, *, freeze_after_startup: bool = False) -> FastAPI:
    """The ingest API; all state is built in the lifespan, from `settings` only.

    `freeze_after_startup` (the served process, `__main__`) moves what startup built out of the
    garbage collector's reach (`freeze_long_lived`).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings)
        app.state.ingest = state
        app.state.shared_quotas = open_shared_quotas(settings, app.state.quotas)  # Postgres only
        if not await state.store.run(state.store.ensure_bucket):
            log.warning("object store unreachable at startup; acks go to the spool until it is")
        uploader = asyncio.create_task(
            upload_forever(
                state.spool, state.committer, state.metrics, settings.spool_retry_seconds
            )
        )
        log.info(
            "ingest API ready: pii=%s workers=%d spool=%s",
            settings.pii_enabled,
            settings.prepare_workers,
            settings.spool_path,
        )
        if freeze_after_startup:
            freeze_long_lived()
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
            if app.state.shared_quotas is not None:
                app.state.shared_quotas.close()

    app = FastAPI(
        title="Ollive ingest API",
        version="1",
        summary="Validated, PII-redacted, durable intake of LLM observability events.",
        lifespan=lifespan,
    )
    app.state.quotas = KeyQuotas.from_settings(settings)  # per-key token buckets (429)
    app.add_exception_handler(RequestRefused, _answer_refused)
    app.include_router(logs.router)
    app.include_router(otlp_traces.router)
    app.include_router(health.router)
    app.add_middleware(DrainRefusedBody)  # a 413 urllib-like clients can read (not a reset)
    return app
