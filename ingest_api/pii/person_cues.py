# ruff: noqa: RUF001  (apostrophes, dashes and Cyrillic words are meant)
"""The words before a name that say one follows, and how strongly: read backwards from a run.

`name`: a title, a self-introduction, a person field or a sign-off line; any capitalised word
after it is a name. `strong`: a greeting, a closer, a ticket or mail field; two capitalised
words are a name, one needs the lexicon. `weak`: a verb or preposition that often precedes a
person, or a generic JSON key ("name", "customer"); a lexicon word is needed. The last few
words before the run are looked up in phrase tables (a scan of the text with one alternation
per cue costs ~1 µs per character in Python's `re`; this costs a few µs per run).
"""

from __future__ import annotations

import re


def _phrases(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(p.split()) for p in text.split(",") if p.strip())


def _keys(text: str) -> frozenset[str]:
    return frozenset(text.split())


TITLES = _phrases(
    "mr, mrs, ms, miss, mx, dr, prof, sir, madam, mme, mlle, herr, frau, sr, sra, señor, señora,"
    "dott"
)
_NAME = _phrases(
    "my name is, my name's, call me, je m'appelle, je m’appelle, me llamo, mi nombre es,"
    "meu nome é, mi chiamo, ich heiße, mein name ist, jag heter, ik heet, меня зовут"
)
_NAME_FIELDS = _phrases("name, full name, first name, last name")
_GREETINGS = _phrases(
    "hi, hello, hey, dear, good morning, good afternoon, good evening, bonjour, salut,"
    "hola, ciao, olá, oi, hallo, hej, merhaba, namaste, здравствуйте, привет"
)
_CLOSERS = _phrases(
    "thanks, thank you, regards, best, cheers, sincerely, yours, wishes, warmly, talk soon,"
    "take care, respectfully, grüßen, grüße, groet, cordialement, saludos, atenciosamente,"
    "saluti, hälsningar, с уважением"
)
_STRONG = _phrases(
    "i am, i'm, i’m, im, this is, it's, it’s, c'est, c’est, sono, soy, ben, ik ben, ich bin,"
    "je suis, eu sou, я, assignee, assigned to, reporter, reported by, requester, requested by,"
    "owner, author, contact, customer, patient, passenger, guest, employee, candidate,"
    "approved by, signed by, created by, on behalf of, colleague, manager, attn"
)
_STRONG_FIELDS = _STRONG | _phrases("from, to, cc, bcc, signed")
_WEAK = _phrases(
    "ask, tell, with, for, by, met, meet, email, call, ping, spoke to, talked to, thanks to,"
    "reply to"
)
_JSON_NAME_KEYS = _keys(
    "full_name fullname first_name firstname last_name lastname given_name givenname family_name"
    " familyname surname guest_name guestname to_name from_name contact_name customer_name"
    " patient_name passenger_name employee_name display_name displayname"
)
_JSON_STRONG_KEYS = _keys(
    "guest assignee reporter recipient sender patient passenger employee attendee requester"
)
_JSON_WEAK_KEYS = _keys("name customer contact author owner user_name username")

_GREETINGS_OR_CLOSERS = _GREETINGS | _CLOSERS
_NAME_WORDS = TITLES | _NAME
_STRONG_WORDS = _STRONG | _GREETINGS_OR_CLOSERS
# the word right before a run must end some phrase (most runs stop here)
_LAST = frozenset(
    phrase[-1]
    for table in (_NAME_WORDS, _STRONG_WORDS, _STRONG_FIELDS, _NAME_FIELDS, _WEAK)
    for phrase in table
)
_WINDOW = 48  # characters before a run that a cue may span
_JSON_KEY = re.compile(r'"([A-Za-z_]+)"\s*:\s*"$')
_DASHES = "-—–"
_OPENERS = "([{<*'\""


def _last_words(text: str) -> list[str]:
    """The last three words of `text`, lowercased, without brackets or quotes before them."""
    return [w.lstrip(_OPENERS) for w in text[-40:].lower().rsplit(None, 3)[-3:]]


def _ends_with(words: list[str], table: frozenset[tuple[str, ...]]) -> bool:
    if not words or words[-1] not in _LAST:
        return False
    return (words[-1],) in table or tuple(words[-2:]) in table or tuple(words[-3:]) in table


def cue_before(text: str, start: int) -> str | None:
    """'name', 'strong', 'weak' or None: the cue that ends where a run starts."""
    if text[start - 1 : start] == " ":
        # the common case, answered without the slices below: one space after a plain word
        # that ends no phrase (what the last branch below decides for such a word)
        word = text[text.rfind(" ", 0, start - 1) + 1 : start - 1]
        if word.isalpha() and word.lower() not in _LAST:
            return None
    body = text[max(0, start - _WINDOW) : start].rstrip(" \t")
    if not body:
        return None
    last = body[-1]
    if last == '"':
        key = _JSON_KEY.search(body)
        name = key.group(1).lower() if key else ""
        if name in _JSON_NAME_KEYS:
            return "name"
        if name in _JSON_STRONG_KEYS:
            return "strong"
        return "weak" if name in _JSON_WEAK_KEYS else None
    if last == "\n":  # a sign-off line: a closer, then the name alone on the next line
        line = body.rstrip()
        if line[-1:] in ",!." or line[-1:].isalpha():
            return "name" if _ends_with(_last_words(line.rstrip(",!.")), _CLOSERS) else None
        return None
    if last in _DASHES:
        before = body.rstrip(_DASHES).rstrip(" \t")
        return "strong" if not before or before.endswith("\n") else None
    if last in ":=":
        words = _last_words(body[:-1])
        if _ends_with(words, _NAME_FIELDS):
            return "name"
        return "strong" if _ends_with(words, _STRONG_FIELDS) else None
    if last in ",!":
        return "strong" if _ends_with(_last_words(body[:-1]), _GREETINGS_OR_CLOSERS) else None
    if last == ".":
        return "name" if _ends_with(_last_words(body[:-1]), TITLES) else None
    if not last.isalpha():
        return None
    # most capitalised words follow an ordinary word: one split answers before three do
    if body[-40:].rsplit(None, 1)[-1].lower().lstrip(_OPENERS) not in _LAST:
        return None
    words = _last_words(body)
    if _ends_with(words, _NAME_WORDS):
        return "name"
    if _ends_with(words, _STRONG_WORDS):
        return "strong"
    return "weak" if _ends_with(words, _WEAK) else None
