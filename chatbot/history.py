"""Conversation memory: the contents sent back to the model on the next turn, bounded."""

from __future__ import annotations

from collections import OrderedDict

from google.genai import types


class History:
    """In-process and least-recently-used: a reference bot needs no database, but must not grow
    without bound under a simulator's thousands of conversations."""

    def __init__(self, max_conversations: int = 10_000, max_contents: int = 24) -> None:
        self.max_conversations = max_conversations
        self.max_contents = max_contents
        self._store: OrderedDict[str, list[types.Content]] = OrderedDict()

    def get(self, conversation_id: str) -> list[types.Content]:
        contents = self._store.get(conversation_id, [])
        if contents:
            self._store.move_to_end(conversation_id)
        return list(contents)

    def commit(self, conversation_id: str, contents: list[types.Content]) -> None:
        """Keep a finished turn; the window starts at a user text so no tool reply is orphaned."""
        window = contents[-self.max_contents :]
        while window and not _is_user_text(window[0]):
            window = window[1:]
        self._store[conversation_id] = window
        self._store.move_to_end(conversation_id)
        while len(self._store) > self.max_conversations:
            self._store.popitem(last=False)


def _is_user_text(content: types.Content) -> bool:
    return content.role == "user" and any(p.text for p in content.parts or [])
