"""The prepare workers: started and warmed before the first request, gone when the API is.

A `ProcessPoolExecutor` worker whose parent is killed keeps waiting on its call queue: its
siblings hold the queue's pipe open, so nobody reads EOF, and every worker lives on with its
warmed Presidio models (hundreds of MB each). A thread in each worker notices the parent is gone
(it is re-parented) and exits the worker.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import timedelta

from ingest_api.intake import prepare
from ingest_api.intake.pseudonyms import Pseudonymiser
from ollive_contract.settings import IngestSettings


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
        max_event_ahead=timedelta(hours=settings.max_event_ahead_hours),
        pseudonymiser=Pseudonymiser(
            settings.user_id_key_id, settings.user_id_key.get_secret_value()
        ),
    )


def start_workers(settings: IngestSettings) -> Executor:
    """`prepare_workers` warmed processes, or one thread in this process when it is 0."""
    config = prepare_config(settings)
    if settings.prepare_workers == 0:
        prepare.init(config)
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare")
    # spawn, not fork: the parent already runs threads (boto3 pool, event loop)
    pool = ProcessPoolExecutor(
        settings.prepare_workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(config,),
    )
    # start and warm every worker now, not on the first requests
    list(pool.map(_ready, range(settings.prepare_workers * 4)))
    return pool


def _init_worker(config: prepare.PrepareConfig) -> None:
    exit_with_parent()  # a SIGKILLed API must not leave its workers behind
    prepare.init(config)
    freeze_long_lived()


def freeze_long_lived() -> None:
    """Move what the process holds for its lifetime out of the garbage collector's reach.

    The redactor's name lexicon, recognizers and compiled patterns are ~140,000 objects that
    every full collection would walk again; pydantic's allocations in validation trigger most
    collections (`bench/ingest_prepare.py`: the validate stage took ~21 CPU-us/event with them,
    ~8 without). The served API process holds ~190,000 after startup (the modules of FastAPI,
    boto3, Presidio), and each full collection there took ~0.1 CPU-s under load. A frozen object
    is still freed when its last reference goes; only a cycle among them would never be: so
    only after startup in a process that lives on (workers, `python -m ingest_api`), never in
    one that builds apps again and again (tests).
    """
    gc.collect()
    gc.freeze()


def _ready(_: int) -> bool:
    return prepare.ready()


def exit_with_parent(poll_seconds: float = 1.0) -> None:
    """Start a daemon thread that ends this process once its parent process has gone."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent:
                os._exit(1)  # no cleanup to run: the worker holds no state of its own

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
