"""The instance `ollive up` starts: a valid dagster.yaml with the dbt limit, the pool limits,
and its three processes around one code server."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml

from dagster_project.pools import managed_pools
from ollive.stack.dagster_home import (
    PRODUCTION_CONFIG,
    dagster_processes,
    embedded_storage,
    initialize_instance,
    instance_config,
    production_config_text,
)
from ollive_contract.settings import StackSettings


def test_dagster_home_is_a_valid_instance(tmp_path: Path) -> None:
    settings = StackSettings(state_dir=tmp_path, dagster_port=3999, dagster_code_server_port=4299)
    code_server, webserver, daemon = dagster_processes(settings)
    home = Path(webserver.env["DAGSTER_HOME"])
    assert home == tmp_path.resolve() / "dagster"
    # one long-lived code server: started with -m, the daemon would re-import the definitions
    # in a fresh code server every 60 s
    assert code_server.argv[1:] == [
        "code-server",
        "start",
        "-h",
        "127.0.0.1",
        "-p",
        "4299",
        "-m",
        "dagster_project.definitions",
        "--location-name",
        "dagster_project.definitions",
    ]
    assert code_server.grpc_port == 4299
    workspace = str(home / "workspace.yaml")
    assert webserver.argv[1:] == ["-h", "127.0.0.1", "-p", "3999", "-w", workspace]
    assert daemon.argv[1:] == ["run", "-w", workspace]
    assert webserver.health_url == "http://127.0.0.1:3999/server_info"
    assert yaml.safe_load(Path(workspace).read_text()) == {
        "load_from": [
            {
                "grpc_server": {
                    "host": "127.0.0.1",
                    "port": 4299,
                    "location_name": "dagster_project.definitions",
                }
            }
        ]
    }

    initialize_instance(settings)  # what `ollive up` runs before the code server starts
    with dg.DagsterInstance.from_config(str(home)) as instance:
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None
        assert [(t["key"], t["limit"]) for t in queue.tag_concurrency_limits] == [
            ("ollive/dbt", 1),
            ("ollive/log_type", 1),  # one load run per log type: batched INSERTs rely on it
        ]
        pools = instance.get_concurrency_config().pool_config
        # one run at a time per pool: `dbt`, and `ollive_load_<log_type>` (loads and replays)
        assert pools.default_pool_limit == 1
        assert pools.pool_granularity is not None and pools.pool_granularity.value == "run"
        assert instance.run_retries_enabled
        assert instance.run_coordinator.dequeue_interval_seconds == 1
        # limits are in storage before the first run is queued, not set lazily by the queue
        assert set(managed_pools()) >= {"dbt", "ollive_load_inference"}
        for pool in managed_pools():
            assert instance.event_log_storage.get_concurrency_info(pool).slot_count == 1, pool


def test_production_dagster_yaml_is_generated_from_the_same_source() -> None:
    """docker/dagster/dagster.yaml is the embedded config over Postgres: same queue, pools,
    retries and monitoring; regenerate it with `python -m ollive.stack.dagster_home`."""
    assert PRODUCTION_CONFIG.read_text() == production_config_text()
    config = yaml.safe_load(PRODUCTION_CONFIG.read_text())
    embedded = yaml.safe_load(
        yaml.safe_dump(instance_config(embedded_storage(Path("/home")), 8), sort_keys=False)
    )
    shared = {k: v for k, v in embedded.items() if k not in ("storage", "local_artifact_storage")}
    assert {k: v for k, v in config.items() if k != "storage"} == shared
    db = config["storage"]["postgres"]["postgres_db"]
    assert db["password"] == {"env": "DAGSTER_PG_PASSWORD"}, "no password inside a URL"
