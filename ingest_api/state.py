"""What a running ingest app holds: its settings and the parts built from them at startup."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ingest_api.group_commit import GroupCommitter
from ingest_api.keys import KeyStore
from ingest_api.metrics import IngestMetrics
from ingest_api.redaction import Redactor
from ingest_api.settings import IngestSettings
from ingest_api.spool import Spool
from ingest_api.store import ObjectStore


@dataclass
class IngestState:
    settings: IngestSettings
    keys: KeyStore
    store: ObjectStore
    spool: Spool
    committer: GroupCommitter
    metrics: IngestMetrics
    redactor: Redactor | None
    # one thread: parsing and redaction are CPU-bound (the GIL), and the redaction cache is
    # not shared between threads; the event loop stays free to answer and to commit
    cpu: ThreadPoolExecutor
