"""The prepare workers leave when the API does, even when it dies by SIGKILL.

A `ProcessPoolExecutor` worker whose parent is killed keeps waiting on its call queue: its
siblings hold the queue's pipe open, so nobody reads EOF, and every worker lives on with its
warmed Presidio models (hundreds of MB each). A thread in each worker notices the parent is gone
(it is re-parented) and exits the worker.
"""

from __future__ import annotations

import os
import threading
import time


def exit_with_parent(poll_seconds: float = 1.0) -> None:
    """Start a daemon thread that ends this process once its parent process has gone."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent:
                os._exit(1)  # no cleanup to run: the worker holds no state of its own

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
