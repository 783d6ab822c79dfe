"""Tenancy in Superset, on the embedded stack: events of two projects go through the whole
pipeline; a user of project A (provisioned by the bootstrap from OLLIVE_SUPERSET_TENANTS) sees
only A's rows in a chart's data and A's figure on the dashboard in the browser; the admin sees
both. Each figure is checked against the ClickHouse facts of each project."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time

import httpx
import pytest

from ollive_contract.settings import settings_env
from superset_config.launch import VENV_BIN
from tests.fixtures.ingest import REPO_ROOT
from tests.fixtures.ingest_events import inference
from tests.fixtures.superset import ARTIFACTS
from tests.fixtures.superset_client import Superset, run_bootstrap

SERVICE = "tenancy-e2e"
# project -> (inferences, of which errors): distinct counts, so a leak shows in every figure
SENT = {"tenant-a": (7, 2), "tenant-b": (12, 5)}
USER_A = "analyst-a"
FACTS = (
    "select project_id, count(), countIf(is_error) from ollive.fct_inferences "
    f"where service = '{SERVICE}' group by project_id"
)


def mint_key(stack, project: str) -> str:
    """A key from the keys CLI, in the store the stack's ingest API reads."""
    done = subprocess.run(
        [sys.executable, "-m", "ingest_api.keys", "create", project, "--label", SERVICE],
        env={**os.environ, **settings_env(stack.settings.ingest)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return re.search(r"^key: (\S+)$", done.stdout, re.M).group(1)


def send(stack, key: str, count: int, errors: int) -> None:
    """Post the events, waiting out the seconds the API takes to learn a new key (401)."""
    events = [
        inference(service=SERVICE, status="error" if i < errors else "ok") for i in range(count)
    ]
    deadline = time.monotonic() + 30
    while True:
        response = httpx.post(
            f"{stack.settings.ingest.url}/v1/logs",
            json=events,
            headers={"Authorization": f"Bearer {key}"},
        )
        if response.status_code != 401 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert response.status_code == 202 and response.json()["accepted"] == count, response.text


def wait_for_facts(client, want: dict[str, tuple[int, int]], timeout_s: float = 300) -> None:
    """Until the facts and the 5-minute rollup hold every event of both projects."""
    rollup = (
        "select project_id, sum(requests) from ollive.agg_inference_5m "
        f"where service = '{SERVICE}' group by project_id"
    )
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            facts = {p: (n, e) for p, n, e in client.query(FACTS).result_rows}
            rolled = {p: (int(n), want[p][1]) for p, n in client.query(rollup).result_rows}
        except Exception:  # a mart dbt has not built yet
            facts, rolled = {}, {}
        if facts == want and rolled == want:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"facts never settled: {facts}, rollup {rolled}, want {want}")
        time.sleep(3)


def create_user(superset: Superset, username: str, password: str) -> None:
    """What an operator does: `superset fab create-user` (Gamma; the bootstrap adds the project)."""
    subprocess.run(
        [
            str(VENV_BIN / "superset"),
            "fab",
            "create-user",
            "--role=Gamma",
            f"--username={username}",
            "--firstname=Analyst",
            "--lastname=A",
            f"--email={username}@example.com",
            f"--password={password}",
        ],
        env={**os.environ, **superset.env},
        capture_output=True,
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tenancy(superset, embedded_stack) -> dict:
    """Both projects' events in the marts, user A created and mapped to tenant-a by the
    bootstrap (re-run with the tenants set, as a restart with the setting would)."""
    for project, (count, errors) in SENT.items():
        send(embedded_stack, mint_key(embedded_stack, project), count, errors)
    password = secrets.token_urlsafe(16)
    create_user(superset, USER_A, password)
    settings = embedded_stack.settings
    tenants = {"tenant-a": [USER_A], "tenant-b": []}
    with_tenants = settings.model_copy(
        update={"superset": settings.superset.model_copy(update={"tenants": tenants})}
    )
    run_bootstrap(with_tenants, ARTIFACTS / "superset-tenancy-bootstrap.log")
    readonly = embedded_stack.clickhouse(readonly=True)
    wait_for_facts(readonly, {p: SENT[p] for p in SENT})
    user_a = Superset(settings, superset.url, USER_A, password, superset.env)
    return {"admin": superset, "a": user_a, "facts": readonly}


def chart(api: httpx.Client, name: str) -> dict:
    found = api.get(
        "/api/v1/chart/",
        params={"q": f"(filters:!((col:slice_name,opr:eq,value:'{name}')))"},
    ).json()["result"]
    assert len(found) == 1, found
    return api.get(f"/api/v1/chart/{found[0]['id']}").json()["result"]


def per_project(api: httpx.Client, saved: dict) -> dict[str, float]:
    """The chart's saved query, grouped by project, for this tenant's service (cache bypassed)."""
    context = json.loads(saved["query_context"])
    context["force"] = True
    (query,) = context["queries"]
    query["columns"] = ["project_id"]
    query["filters"].append({"col": "service", "op": "IN", "val": [SERVICE]})
    response = api.post("/api/v1/chart/data", json=context)
    assert response.status_code == 200, response.text
    (result,) = response.json()["result"]
    (metric,) = [k for k in result["colnames"] if k != "project_id"]
    return {row["project_id"]: row[metric] for row in result["data"]}


def test_a_user_of_project_a_gets_only_a_rows_the_admin_gets_both(tenancy) -> None:
    facts = {p: (n, e) for p, n, e in tenancy["facts"].query(FACTS).result_rows}
    admin, user_a = tenancy["admin"].api(), tenancy["a"].api()
    figures = {"Requests": lambda n, e: n, "Error rate": lambda n, e: e / n}
    for name, figure in figures.items():
        want = {p: figure(n, e) for p, (n, e) in facts.items()}
        assert set(want) == set(SENT)
        assert per_project(admin, chart(admin, name)) == pytest.approx(want), name
        assert per_project(user_a, chart(user_a, name)) == pytest.approx(
            {"tenant-a": want["tenant-a"]}
        ), name


def test_in_the_browser_user_a_sees_a_figure(tenancy) -> None:
    """The LLM operations dashboard as user A: every tile renders, and the requests tile
    counts A's events only (the demo's and B's would add to it)."""
    facts = {p: n for p, n, _ in tenancy["facts"].query(FACTS).result_rows}
    others = int(
        tenancy["facts"].command(
            "select count() from ollive.fct_inferences where project_id != 'tenant-a' "
            "and started_at >= now() - interval 1 day"
        )
    )
    assert others >= facts["tenant-b"] > 0
    mine = int(
        tenancy["facts"].command(
            "select count() from ollive.fct_inferences where project_id = 'tenant-a' "
            "and started_at >= now() - interval 1 day"
        )
    )
    assert mine == facts["tenant-a"]
    rendered = tenancy["a"].render(["llm-operations"], ARTIFACTS / "tenancy-a")["llm-operations"]
    tiles = {t["name"]: t for t in rendered["charts"]}
    assert tiles and all(t["state"] in {"data", "empty"} for t in tiles.values()), rendered
    requests = tiles["Requests"]
    assert requests["state"] == "data", rendered["screenshot"]
    assert re.search(rf"(?<![\d.,]){mine}(?![\d.,])", requests["text"]), requests["text"]
    assert not re.search(rf"(?<![\d.,]){mine + others}(?![\d.,])", requests["text"])
