"""The fault soak, short: simulated traffic through a stack of its own while each service and
a load run is killed with SIGKILL once, at seeded random moments, and restarted; every batch
delivered three times, some clocks skewed, late or far ahead. Then the promise: every
acknowledged event in the facts exactly once, rollups equal to facts, no planted personal data
in the archive, staging or facts, nothing stuck. `bench/soak.py` is the long version."""

from __future__ import annotations

import pytest

from ollive.soak import report
from ollive.soak.chaos import FAULT_KINDS
from ollive.soak.runner import SoakConfig, run_soak
from ollive.soak.stack import soak_settings, soak_specs, start

SEED = 20261130
# a stack of its own (what `bench/soak.py` starts), so the kills never reach the session's
# stack the other tests share
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def soak(tmp_path_factory):
    settings = soak_settings(tmp_path_factory.mktemp("soak"))
    supervisor = start(settings)
    config = SoakConfig(
        minutes=1.0,
        seed=SEED,
        mean_fault_gap_s=8.0,
        per_tick=2,
        tick_s=2.0,
        settle_timeout_s=900.0,
        service="ollive-soak-test",
    )
    try:
        result = run_soak(settings, supervisor, soak_specs(settings), config)
    finally:
        supervisor.down()
    print("\n".join(report.lines(result)))
    return result


def test_every_fault_kind_was_injected_and_recovered(soak) -> None:
    recovery = soak.recovery_by_kind()
    assert set(recovery) == set(FAULT_KINDS), recovery
    assert all(r["recovered"] == r["injected"] for r in recovery.values()), recovery


def test_the_retry_storm_stored_copies_and_clocks_were_off(soak) -> None:
    counters = soak.counters
    assert counters["posts_retry"] > 0, "no post failed: the faults did not reach the traffic"
    for log_type, (rows, ids) in soak.accounts.staged.items():
        assert rows >= 2 * ids > 0, log_type  # most events were stored three times
    for kind in ("skewed", "late", "ahead", "far_ahead"):
        assert counters.get(f"clock_{kind}", 0) > 0, kind
    # months ahead is past the API's bound: refused per event, the rest of each batch kept
    assert counters.get("rejected", 0) >= counters["clock_far_ahead"]


def test_every_acknowledged_event_is_in_the_facts_exactly_once(soak) -> None:
    accounts = soak.accounts
    assert accounts.settled
    assert sum(accounts.acked.values()) > 500
    assert accounts.lost == dict.fromkeys(accounts.lost, 0), accounts.lost_examples
    assert accounts.duplicated == dict.fromkeys(accounts.duplicated, 0)


def test_rollups_equal_the_facts(soak) -> None:
    for log_type, (total, rows) in soak.accounts.rollup_vs_fact.items():
        assert total == rows > 0, log_type


def test_no_planted_personal_data_in_the_archive_staging_or_facts(soak) -> None:
    accounts = soak.accounts
    assert soak.planted["email"] and soak.planted["phone"] and soak.planted["user_id"]
    assert accounts.pii_in_archive == {}
    assert accounts.pii_in_staging == {}
    assert accounts.pii_in_facts == {}


def test_nothing_is_stuck(soak) -> None:
    accounts = soak.accounts
    assert accounts.raw_objects > 0
    assert accounts.unloaded_objects == 0
    assert accounts.quarantined_objects == 0
    assert accounts.active_runs == {}
