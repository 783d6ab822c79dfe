"""First names and surnames of many locales, from Faker's person providers (MIT), loaded offline.

Faker keeps, per locale, the given names and family names its generators draw from (86
locales: Latin, Cyrillic, Greek, Arabic and other scripts). Only those lists are read; the
generators are never run. Loading takes about 0.4 s, once per process.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class NameLexicon:
    first: frozenset[str]
    last: frozenset[str]

    def __contains__(self, token: str) -> bool:
        return token in self.first or token in self.last


def _tokens(names) -> set[str]:
    """Each word of each listed name ("María José", "de la Cruz" give their capitalised words)."""
    out: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            continue  # a few locales list (name, weight) pairs elsewhere; not names
        out.update(part for part in name.split() if part[:1].isupper() or not part[:1].islower())
    return out


@lru_cache(maxsize=1)
def load_lexicon() -> NameLexicon:
    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attr, value in vars(provider).items():
            if not isinstance(value, dict | list | tuple):
                continue  # properties and formats
            if attr.startswith(("first_name", "first_romanized", "middle_name")):
                first |= _tokens(value)
            elif attr.startswith(("last_name", "last_romanized")):
                last |= _tokens(value)
    return NameLexicon(frozenset(first), frozenset(last))
