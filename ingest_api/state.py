"""What a running ingest app holds: its settings and the parts built from them at startup."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from ingest_api.group_commit import GroupCommitter
from ingest_api.keys import KeyStore
from ingest_api.metrics import IngestMetrics
from ingest_api.spool import Spool
from ingest_api.store import ObjectStore
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
