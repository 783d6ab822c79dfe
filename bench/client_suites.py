"""The clients' own integration suites against the embedded ClickHouse server.

Runs clickhouse-connect's `tests/integration_tests` and dbt-clickhouse's `tests/integration`,
unchanged, against a fresh embedded server (`python -m clickhouse_server` on a free port and a
temporary path), and prints passed / failed / errors / skipped per suite, with every failure's
first line, to stdout and bench/results/client_suites.json.

Neither suite is on a package registry: the PyPI sdists of clickhouse-connect (1.12.0) and
dbt-clickhouse (1.10.3) ship no integration tests (clickhouse-connect's has only
`tests/test_bare_install.py`, dbt-clickhouse's none). So this bench downloads nothing: point it
at a checkout of each upstream repository (ideally at the pinned tag) with
`--clickhouse-connect-src` / `--dbt-clickhouse-src`. Only the checkout's `tests/` folder (and
its pytest configuration) is used, copied to a temporary folder, and run in an environment of
the project's pinned versions (clickhouse-connect, dbt-clickhouse, dbt-core, pandas, …, from
PyPI through `uv run --with`), never the checkout's package; the suites' extra test
requirements (pytest-asyncio, dbt-tests-adapter, …) come the same way.

    uv run python bench/client_suites.py --clickhouse-connect-src ~/src/clickhouse-connect \
        --dbt-clickhouse-src ~/src/dbt-clickhouse
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "client_suites.json"
DEFAULT_USER, PASSWORD = "default", "suite-password"

# What each suite's tests import beyond the project's own dependencies (from their
# requirement files), installed from PyPI into uv's overlay environment.
EXTRA_REQUIREMENTS = {
    "clickhouse-connect": [
        "pytest-asyncio",
        "pytest-mock",
        "pytest-dotenv",
        "aiohttp>=3.9",
        "polars>=1.0",
        "pyjwt[crypto]",
        "pytest-xdist",  # the suite's own addopts run it with -n 4
        "pytest-timeout",
    ],
    "dbt-clickhouse": ["dbt-tests-adapter>=1.10,<2.0", "pytest-dotenv", "pytest-timeout"],
}
# The project's pins of what the suites exercise, installed at the versions this environment
# has (uv.lock's): the suites run in a separate environment, because the project's editable
# install would put its own `tests` package ahead of the suite's.
PINNED = {
    "clickhouse-connect": [
        "clickhouse-connect",
        "numpy",
        "pandas",
        "pyarrow",
        "sqlalchemy",
        "alembic",
        "pytest",
        "lz4",
        "pytz",
    ],
    "dbt-clickhouse": [
        "clickhouse-connect",
        "dbt-clickhouse",
        "dbt-core",
        "dbt-adapters",
        "pytest",
    ],
}
TEST_DIRS = {
    "clickhouse-connect": "tests/integration_tests",
    "dbt-clickhouse": "tests/integration",
}
# Collected last: dbt-clickhouse's replicated-database tests set a `Replicated` database
# engine on the session-wide `test_config` dict (their class fixture mutates it), so every
# test collected after them creates its schema with that engine, which needs Keeper; on a
# server without Keeper (a single ClickHouse server, or this one) they all error at setup.
RUN_LAST = {"dbt-clickhouse": ["tests/integration/adapter/replicated_database"]}
# The suites' own Docker servers' `system.query_log` flush interval (clickhouse-connect's
# .docker/clickhouse/single_node/config.xml: 1000 ms; its query-log test polls for 3 s);
# ClickHouse's default, and the embedded server's, is 7500 ms.
QUERY_LOG_FLUSH_MS = {"clickhouse-connect": 1000}


@dataclass
class SuiteResult:
    suite: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# dbt-clickhouse's conftest creates three test users with `CREATE USER IF NOT EXISTS … BY
# sha256('password')`; the embedded engine's access storage is read-only, so they are
# provisioned through the access file instead (the conftest takes DBT_TEST_USER_1..3), and the
# server answers the conftest's statement for them with success, as ClickHouse does for users
# that exist.
DBT_TEST_USERS = [f"dbt_test_user_{i}" for i in range(1, 4)]
PASSWORD_SHA256 = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"


def _access_file(path: Path) -> Path:
    path.write_text(
        "".join(
            f'[users.{name}]\npassword_sha256_hex = "{PASSWORD_SHA256}"\n\n'
            for name in DBT_TEST_USERS
        )
    )
    return path


class Server:
    """The embedded server as a subprocess, from `server_root` (a tree of this repository)."""

    def __init__(
        self,
        server_root: Path,
        data: Path,
        log: Path,
        access_file: Path | None = None,
        user: str = DEFAULT_USER,
        query_log_flush_ms: int | None = None,
    ) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "OLLIVE_CLICKHOUSE_USER": user,
            "OLLIVE_CLICKHOUSE_PASSWORD": PASSWORD,
            "PYTHONPATH": str(server_root),
        }
        self._log = open(log, "ab")  # noqa: SIM115
        command = [sys.executable, "-m", "clickhouse_server", "--path", str(data)]
        if access_file is not None:
            command += ["--access-file", str(access_file)]
        if query_log_flush_ms is not None:
            command += ["--query-log-flush-ms", str(query_log_flush_ms)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            cwd=server_root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {log}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/ping", timeout=1).text == "Ok.\n":
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise TimeoutError("the server did not answer /ping")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(120)
        self._log.close()


def _suite_env(suite: str, port: int, user: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    if suite == "clickhouse-connect":
        env.update(
            CLICKHOUSE_CONNECT_TEST_HOST="127.0.0.1",
            CLICKHOUSE_CONNECT_TEST_PORT=str(port),
            CLICKHOUSE_CONNECT_TEST_USER=user,
            CLICKHOUSE_CONNECT_TEST_PASSWORD=PASSWORD,
            CLICKHOUSE_CONNECT_TEST_DOCKER="False",
        )
    else:
        env.update(
            DBT_CH_TEST_HOST="127.0.0.1",
            DBT_CH_TEST_PORT=str(port),
            DBT_CH_TEST_USER=user,
            DBT_CH_TEST_PASSWORD=PASSWORD,
            DBT_CH_TEST_USE_DOCKER="False",
            **{f"DBT_TEST_USER_{i}": name for i, name in enumerate(DBT_TEST_USERS, start=1)},
        )
    return env


def _count(junit: Path, suite: str, seconds: float) -> SuiteResult:
    result = SuiteResult(suite=suite, seconds=round(seconds, 1))
    if not junit.exists():
        result.errors = 1
        result.failures.append("pytest wrote no report (collection or start-up failed)")
        return result
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = next((child for child in case if child.tag != "system-out"), None)
        if outcome is None or outcome.tag in ("system-err", "properties"):
            result.passed += 1
        elif outcome.tag == "skipped":
            result.skipped += 1
        else:
            if outcome.tag == "failure":
                result.failed += 1
            else:
                result.errors += 1
            message = (outcome.get("message") or "").strip().splitlines()
            result.failures.append(f"{name}: {(message[0] if message else outcome.tag)[:300]}")
    return result


def _test_paths(tree: Path, suite: str) -> list[str]:
    """The suite's folder as pytest arguments, its RUN_LAST parts after the rest (pytest
    collects its arguments in order); the tests themselves are unchanged."""
    last = RUN_LAST.get(suite, [])
    if not last:
        return [TEST_DIRS[suite]]
    paths: list[str] = []
    pending = [tree / TEST_DIRS[suite]]
    while pending:
        folder = pending.pop()
        for entry in sorted(folder.iterdir(), reverse=True):
            relative = str(entry.relative_to(tree))
            if relative in last or entry.name in ("__pycache__", "conftest.py"):
                continue
            if entry.is_dir() and any(p.startswith(relative + "/") for p in last):
                pending.append(entry)  # split it further
            elif entry.is_dir() or entry.suffix == ".py":
                paths.append(relative)
    return sorted(paths) + last


def run_suite(
    suite: str,
    src: Path,
    work: Path,
    port: int,
    extra_args: list[str],
    tests: str | None,
    user: str = DEFAULT_USER,
) -> SuiteResult:
    """Copy the checkout's tests/ aside and run them with pytest, streaming its progress."""
    tree = work / suite
    shutil.copytree(src / "tests", tree / "tests")
    # The suite's own pytest configuration (dbt-clickhouse: pythonpath, doctest-modules;
    # clickhouse-connect: asyncio loop scope, -n 4), read from the copied file.
    for config in ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"):
        if (src / config).is_file():
            shutil.copy(src / config, tree / config)
    junit = work / f"{suite}.xml"
    uv = shutil.which("uv") or str(Path.home() / ".local/bin/uv")
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [uv, "run", "--no-project", "--isolated", "--python", python, "--quiet"]
    for name in PINNED[suite]:
        command += ["--with", f"{name}=={importlib.metadata.version(name)}"]
    for requirement in EXTRA_REQUIREMENTS[suite]:
        command += ["--with", requirement]
    command += [
        "python",
        "-m",
        "pytest",
        *([tests] if tests else _test_paths(tree, suite)),
        "-p",
        "no:cacheprovider",
        "-q",
        "--timeout=300",
        f"--junitxml={junit}",
        *extra_args,
    ]
    print(f"== {suite}: {' '.join(command[-8:])}", flush=True)
    started = time.monotonic()
    env = {**_suite_env(suite, port, user), "PYTHONPATH": str(tree)}
    subprocess.run(command, cwd=tree, env=env, check=False)
    return _count(junit, suite, time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clickhouse-connect-src", type=Path, help="a clickhouse-connect checkout")
    parser.add_argument("--dbt-clickhouse-src", type=Path, help="a dbt-clickhouse checkout")
    parser.add_argument(
        "--server-root", type=Path, default=ROOT, help="the repository tree to run the server from"
    )
    parser.add_argument("--label", default="current", help="stored with the figures")
    parser.add_argument("--tests", help="a path inside the suite instead of its whole folder")
    parser.add_argument(
        "--user",
        default=DEFAULT_USER,
        help="the server's read-write user, which the suites run as (the engine login "
        "`default` cannot authenticate a dictionary's ClickHouse source; any other name can)",
    )
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    args = parser.parse_args()
    sources = {
        "clickhouse-connect": args.clickhouse_connect_src,
        "dbt-clickhouse": args.dbt_clickhouse_src,
    }
    if not any(sources.values()):
        print(
            "client_suites: give --clickhouse-connect-src and/or --dbt-clickhouse-src (checkouts "
            "of the upstream repositories); their PyPI sdists carry no integration tests"
        )
        return
    load = os.getloadavg()
    results: list[SuiteResult] = []
    with tempfile.TemporaryDirectory(prefix="client-suites-") as tmp:
        work = Path(tmp)
        for suite, src in sources.items():
            if src is None:
                continue
            access = _access_file(work / "access.toml") if suite == "dbt-clickhouse" else None
            server = Server(
                args.server_root,
                work / f"{suite}-data",
                work / f"{suite}.log",
                access,
                args.user,
                QUERY_LOG_FLUSH_MS.get(suite),
            )
            try:
                results.append(
                    run_suite(
                        suite, src, work, server.port, args.pytest_args, args.tests, args.user
                    )
                )
            finally:
                server.stop()
    for result in results:
        print(
            f"{result.suite}: {result.passed} passed, {result.failed} failed, "
            f"{result.errors} errors, {result.skipped} skipped ({result.seconds} s)"
        )
        for failure in result.failures:
            print(f"  {failure}")
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stored[args.label] = {
        "user": args.user,
        "load_average": [round(x, 2) for x in load],
        "suites": [asdict(result) for result in results],
    }
    RESULTS.write_text(json.dumps(stored, indent=2) + "\n")


if __name__ == "__main__":
    main()
