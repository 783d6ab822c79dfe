"""What a running ingest app holds: its settings and the parts built from them at startup."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from ingest_api.keys.store import KeyStore
from ingest_api.metrics import IngestMetrics
from ingest_api.storage.group_commit import GroupCommitter
from ingest_api.storage.object_store import ObjectStore
from ingest_api.storage.spool import Spool
from ollive_contract.settings import IngestSettings


@dataclass
class IngestState:
    settings: IngestSettings
    keys: KeyStore
    store: ObjectStore
    spool: Spool
    committer: GroupCommitter
    metrics: IngestMetrics
    # decode/validate/redact: worker processes (or one thread when prepare_workers is 0)
    cpu: Executor
    # (monotonic time, store up) of the last readiness ping, reused briefly by the next probes
    store_ping: tuple[float, bool] | None = None
