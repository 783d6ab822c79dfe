"""Dagster's code server, webserver and daemon as services of the embedded stack."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dagster_project.resources.build import dbt_executable
from ollive.stack.dagster_home import DagsterProcess, dagster_processes, initialize_instance
from ollive.stack.environment import child_env
from ollive.stack.health import http_ok
from ollive.stack.process import ServiceSpec, StartError
from ollive_contract.settings import StackSettings
from ollive_contract.settings.pipeline import PipelineSettings


def _daemon_alive(process: DagsterProcess) -> bool:
    """The daemon has no port: its heartbeat in the instance storage is the health signal."""
    argv = [process.argv[0], "liveness-check"]
    env = {**os.environ, **process.env}
    return subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode == 0


def _code_server_up(host: str, port: int) -> bool:
    """The code server has loaded the definitions once it answers a gRPC ping."""
    from dagster._core.errors import DagsterUserCodeUnreachableError
    from dagster._grpc.client import DagsterGrpcClient

    try:
        DagsterGrpcClient(port=port, host=host).ping("")
    except DagsterUserCodeUnreachableError:
        return False
    return True


def _prepare_code_server(settings: StackSettings, env: dict[str, str], log_file: Path) -> None:
    """Before the first process of the deployment: pool limits stored, dbt manifest fresh."""
    initialize_instance(settings, env)
    _parse_dbt_project(env, log_file)


def _parse_dbt_project(env: dict[str, str], log_file: Path) -> None:
    """A fresh dbt manifest before Dagster loads it: a stale one would hide new models."""
    pipeline = PipelineSettings()
    project = pipeline.dbt_project_dir
    argv = [dbt_executable(), "parse", "--quiet", "--project-dir", str(project)]
    # the builds' target: dbt starts a build from this parse state only if it was written for it
    argv += ["--profiles-dir", str(project), "--target", pipeline.dbt_target]
    with log_file.open("ab") as log:
        done = subprocess.run(
            argv, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, timeout=300
        )
    if done.returncode != 0:
        raise StartError(f"`dbt parse` failed (exit {done.returncode}); see {log_file}")


def specs(settings: StackSettings) -> list[ServiceSpec]:
    out = []
    for process in dagster_processes(settings):
        env = {**child_env(settings), **process.env}
        if process.grpc_port:

            def health(port: int = process.grpc_port) -> bool:
                return _code_server_up(settings.host, port)
        elif process.health_url:

            def health(url: str = process.health_url) -> bool:
                return http_ok(url)
        else:

            def health(process: DagsterProcess = process) -> bool:
                return _daemon_alive(process)

        code_server = process.grpc_port is not None
        out.append(
            ServiceSpec(
                name=process.name,
                argv=process.argv,
                ports=process.ports,
                health=health,
                url=(process.health_url or "").removesuffix("/server_info"),
                env=env,
                cwd=process.cwd,
                # the code server loads the definitions; the webserver and daemon connect to it
                wave=1 if code_server else 2,
                before_start=(
                    (lambda log_file, env=env: _prepare_code_server(settings, env, log_file))
                    if code_server
                    else None
                ),
                start_timeout_s=180.0,
                stop_timeout_s=30.0,
            )
        )
    return out
