"""Jobs for the forking run launcher's test: a run that writes where it ran, one that waits."""

import os
import time
from pathlib import Path

import dagster as dg

# set at import: a forked run shares the worker's import, a fresh interpreter would not
IMPORTED_IN = os.getpid()


@dg.op(config_schema={"out": str})
def record_process(context: dg.OpExecutionContext) -> None:
    """Writes the run's pid and the pid that imported this module."""
    Path(context.op_config["out"]).write_text(f"{os.getpid()} {IMPORTED_IN}")


@dg.op(config_schema={"seconds": float})
def wait(context: dg.OpExecutionContext) -> None:
    time.sleep(context.op_config["seconds"])


@dg.job(executor_def=dg.in_process_executor)
def record_process_job() -> None:
    record_process()


@dg.job(executor_def=dg.in_process_executor)
def wait_job() -> None:
    wait()


defs = dg.Definitions(jobs=[record_process_job, wait_job])
