"""Who chats, about what, for how long: the seeded plan a load run follows.

Each conversation stays on one model, drawn from MODELS. Users carry made-up contact details
that turn up in their prompts (emails, phone numbers), so the ingest API's redaction has
something to find. The same seed gives the same plan. A simulated history also needs when each
conversation starts: `history_starts`, with a daily and weekly cycle.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

# (model, share of conversations): Gemini 60%, OpenAI 20%, Anthropic 20%; every name is priced
# by dbt_project/seeds/model_prices.csv
MODELS = (
    ("gemini-2.5-flash", 0.40),
    ("gemini-2.5-flash-lite", 0.10),
    ("gemini-2.5-pro", 0.10),
    ("gpt-4o-mini", 0.14),
    ("gpt-4.1-mini", 0.06),
    ("claude-sonnet-4-6", 0.12),
    ("claude-haiku-4-5", 0.08),
)
FIRST_NAMES = ("Jane", "Amir", "Chen", "Lucía", "Kofi", "Priya", "Olga", "Tomás", "Yuki", "Sam")
LAST_NAMES = ("Doe", "Haddad", "Wei", "García", "Mensah", "Iyer", "Novak", "Silva", "Sato", "Lee")
CITIES = ("Lisbon", "Paris", "Berlin", "Tokyo", "New York", "Nairobi", "Sydney")
OPENERS = (
    "What's the weather in {city}?",
    "Do I need an umbrella in {city} today?",
    "How do I rotate my API key?",
    "How do I configure the SDK in a Django app?",
    "What are the rate limits on the free plan?",
    "How do I set up single sign-on?",
    "I was charged twice on invoice INV-{number}. My email is {email}.",
    "The dashboard is down for our team, call me on {phone}.",
    "Can't log in since this morning. Reach me at {email} or {phone}.",
    "Hi, I'm {name}, just signed up. Which plan includes longer retention?",
)
FOLLOW_UPS = (
    "Thanks! Can you explain that more simply?",
    "And what about {city} tomorrow?",
    "Please open a ticket for this, my number is {phone}.",
    "How do I export my data?",
    "Great, that's all. Thank you!",
    "Is that on the Team plan too?",
)


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    email: str
    phone: str
    city: str


@dataclass(frozen=True)
class PlannedTurn:
    message: str
    stream: bool
    stop_after_chunks: int | None  # the user presses stop after this many streamed chunks
    think_s: float  # pause before sending, at time_scale 1


@dataclass(frozen=True)
class PlannedConversation:
    conversation_id: str
    session_id: str
    user: User
    model: str
    turns: tuple[PlannedTurn, ...]


def make_users(rng: random.Random, n: int) -> list[User]:
    users = []
    for i in range(n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}{rng.randrange(100)}@example.com"
        phone = f"+1 415 555 {rng.randrange(10000):04d}"
        if i == 0:  # a known pair, so end-to-end tests can check redaction by value
            first, last, email, phone = "Jane", "Doe", "jane.doe@example.com", "+1 415 555 0134"
        users.append(User(f"user-{i:04d}", f"{first} {last}", email, phone, rng.choice(CITIES)))
    return users


def plan(conversations: int, seed: int) -> list[PlannedConversation]:
    """`conversations` conversations of 1 to 4 turns among about a third as many users."""
    rng = random.Random(seed)
    users = make_users(rng, max(3, conversations // 3))
    models, weights = zip(*MODELS, strict=True)
    planned = []
    for i in range(conversations):
        user = rng.choice(users)
        n_turns = rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]
        turns = []
        for t in range(n_turns):
            template = rng.choice(OPENERS if t == 0 else FOLLOW_UPS)
            message = template.format(
                city=rng.choice(CITIES) if t else user.city, email=user.email, phone=user.phone,
                name=user.name, number=rng.randrange(10000, 99999),
            )  # fmt: skip
            stream = rng.random() < 0.6
            stop = rng.randint(1, 3) if stream and rng.random() < 0.06 else None
            turns.append(PlannedTurn(message, stream, stop, rng.uniform(0.3, 2.5)))
        planned.append(
            PlannedConversation(
                conversation_id=f"conv-{seed}-{i:05d}",
                session_id=f"sess-{seed}-{rng.randrange(16**8):08x}",
                user=user,
                model=rng.choices(models, weights=weights)[0],
                turns=tuple(turns),
            )
        )
    return planned


def daily_rate(at_s: float) -> float:
    """Relative traffic at `at_s` (epoch seconds): a daily cycle peaking at 14:00 UTC, five
    times the 02:00 trough, and weekends at 60%."""
    hour = (at_s % 86400) / 3600
    weekday = int(at_s // 86400 + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = Saturday, Sunday
    day = 1 + (2 / 3) * math.cos(2 * math.pi * (hour - 14) / 24)
    return day * (0.6 if weekday >= 5 else 1.0)


def history_starts(
    conversations: int,
    start_s: float,
    end_s: float,
    seed: int,
    quiet: Sequence[tuple[float, float, float]] = (),
) -> list[float]:
    """When each of `conversations` conversations starts between `start_s` and `end_s`,
    oldest first, drawn from `daily_rate`; in a `quiet` window (start, end, share kept) only
    that share of them still starts."""
    rng = random.Random(f"{seed}|history")
    peak = 5 / 3
    starts: list[float] = []
    while len(starts) < conversations:
        at = rng.uniform(start_s, end_s)
        kept = next((share for lo, hi, share in quiet if lo <= at < hi), 1.0)
        if rng.random() < daily_rate(at) / peak * kept:
            starts.append(at)
    return sorted(starts)
