"""Prometheus metrics of the ingest API, on a registry per app (tests build several apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10)
_SIZE_BUCKETS = tuple(2**n for n in range(10, 28, 2))


class IngestMetrics:
    """Accepted and rejected events, PII found, commit latency and size, spool depth, quotas."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.accepted = Counter(
            "ollive_ingest_events_accepted",
            "Events acknowledged durable.",
            ["log_type"],
            registry=r,
        )
        self.rejected = Counter(
            "ollive_ingest_events_rejected",
            "Events refused, by reason code.",
            ["reason"],
            registry=r,
        )
        self.requests = Counter(
            "ollive_ingest_requests", "POST /v1/logs answers, by status.", ["status"], registry=r
        )
        self.otlp_requests = Counter(
            "ollive_ingest_otlp_requests",
            "POST /v1/traces answers, by status.",
            ["status"],
            registry=r,
        )
        self.otlp_spans = Counter(
            "ollive_ingest_otlp_spans",
            "OTLP spans received, by outcome: accepted, rejected, or why dropped (not_genai, "
            "genai_operation_not_mapped).",
            ["outcome"],
            registry=r,
        )
        self.pii = Counter(
            "ollive_ingest_pii_redactions",
            "Fields redacted, by entity type.",
            ["entity"],
            registry=r,
        )
        self.commit_seconds = Histogram(
            "ollive_ingest_commit_seconds",
            "Group commit duration (gzip + PUT, or spool fsync).",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ack_seconds = Histogram(
            "ollive_ingest_ack_seconds",
            "Time from request received to durable ack.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.object_bytes = Histogram(
            "ollive_ingest_object_bytes",
            "Compressed size of each stored object.",
            buckets=_SIZE_BUCKETS,
            registry=r,
        )
        self.commit_events = Histogram(
            "ollive_ingest_commit_events",
            "Events per group commit.",
            buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000, 20000, 50000),
            registry=r,
        )
        self.spooled = Counter(
            "ollive_ingest_objects_spooled", "Objects written to the local spool.", registry=r
        )
        self.spool_depth = Gauge(
            "ollive_ingest_spool_objects", "Objects waiting in the spool.", registry=r
        )
        self.spool_bytes = Gauge(
            "ollive_ingest_spool_bytes", "Bytes waiting in the spool.", registry=r
        )
        self.quota_refusals = Counter(
            "ollive_ingest_quota_refusals",
            "Requests answered 429 by a key's quota, by project, the limit hit (events or "
            "requests) and route (logs or traces).",
            ["project", "limit", "route"],
            registry=r,
        )
        self.quota_refused_events = Counter(
            "ollive_ingest_quota_refused_events",
            "Events in requests refused by the events quota (the client retries them), by project.",
            ["project"],
            registry=r,
        )
        self.quota_store_errors = Counter(
            "ollive_ingest_quota_store_errors",
            "Leases from the shared quota buckets (Postgres key store) that failed or timed out; "
            "this replica's own buckets decided meanwhile.",
            registry=r,
        )
        self.quota_local_decisions = Counter(
            "ollive_ingest_quota_local_decisions",
            "Quota decisions this replica's buckets made alone because the shared quota store "
            "was unreachable, by project.",
            ["project"],
            registry=r,
        )
