"""App factory: builds every part from `IngestSettings`, warms up, and flushes on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from fastapi import FastAPI

from ingest_api.api import health, logs
from ingest_api.intake import prepare
from ingest_api.intake.workers import exit_with_parent
from ingest_api.keys.store import KeyStore
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
    keys = KeyStore(settings.keys_path)
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
    config = prepare_config(settings)
    cpu: Executor
    if settings.prepare_workers > 0:
        # spawn, not fork: the parent already runs threads (boto3 pool, event loop)
        cpu = ProcessPoolExecutor(
            settings.prepare_workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(config,),
        )
        # start and warm every worker now, not on the first requests
        list(cpu.map(_noop, range(settings.prepare_workers * 4)))
    else:
        prepare.init(config)
        cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare")
    return IngestState(settings, keys, store, spool, committer, metrics, cpu)


def _init_worker(config: prepare.PrepareConfig) -> None:
    exit_with_parent()  # a SIGKILLed API must not leave its workers behind
    prepare.init(config)


def _noop(_: int) -> bool:
    return prepare.ready()


def prepare_config(settings: IngestSettings) -> prepare.PrepareConfig:
    return prepare.PrepareConfig(
        max_decompressed_bytes=settings.max_decompressed_bytes,
        max_events_per_request=settings.max_events_per_request,
        pii_enabled=settings.pii_enabled,
        pii_entities=tuple(settings.pii_entities),
        pii_ner_entities=tuple(settings.pii_ner_entities),
        pii_spacy_model=settings.pii_spacy_model,
        pii_fast_path=settings.pii_fast_path,
        pii_cache_size=settings.pii_cache_size,
    )


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
        log.info(
            "ingest API ready: pii=%s workers=%d spool=%s",
            settings.pii_enabled,
            settings.prepare_workers,
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
    app.include_router(logs.router)
    app.include_router(health.router)
    return app
