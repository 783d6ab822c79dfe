"""Turns being generated, by conversation, so `POST /chat/{id}/cancel` can stop them."""

from __future__ import annotations

import asyncio
from collections import defaultdict


class InFlight:
    """asyncio tasks keyed by conversation id; a task removes itself when it ends."""

    def __init__(self) -> None:
        self._tasks: defaultdict[str, set[asyncio.Task[object]]] = defaultdict(set)

    def add(self, conversation_id: str, task: asyncio.Task[object]) -> None:
        self._tasks[conversation_id].add(task)
        task.add_done_callback(lambda t: self._discard(conversation_id, t))

    def cancel(self, conversation_id: str) -> int:
        """Cancel every running turn of the conversation; returns how many there were."""
        tasks = [t for t in self._tasks.get(conversation_id, ()) if not t.done()]
        for task in tasks:
            task.cancel()
        return len(tasks)

    def __len__(self) -> int:
        return sum(len(tasks) for tasks in self._tasks.values())

    def _discard(self, conversation_id: str, task: asyncio.Task[object]) -> None:
        tasks = self._tasks.get(conversation_id)
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                del self._tasks[conversation_id]
