"""Which plain runs of digits a region's matcher refuses outright: from public metadata only.

A run of digits written alone (no plus sign, no international prefix, no national prefix) is
read by phonenumbers' parser as a national number of the default region. At VALID leniency
(and the stricter ones) the matcher then accepts it only if

- it is a valid number: its length is one of the country's possible lengths and it matches
  the country's general number pattern (`general_desc`) and one of its number types' (fixed
  line, mobile, toll free...), each with its own possible lengths, and
- where the formatting rule for it puts the national prefix in front ("0\\1" in Germany), the
  text has that prefix ("national prefix present if required").

So in Germany `73779` (invalid) and `32050` (no leading 0) are refused, `030 1234567` is kept.
Both conditions are written out here from the public metadata (`PhoneMetadata`: general
description, number formats with their leading digits, patterns and national prefix formatting
rules), so that the screen no longer asks the matcher about ticket numbers and years, most of
its calls on the load bench's mix. The rule is applied only where it surely holds: ASCII
digits alone, not starting with anything the parser could read as a country code, an
international prefix or a national prefix, nor with 0 (a leading zero the parser may keep).
`tests/unit/ingest_api/test_phone_screen_local.py` checks it against labelled strings and the
matcher itself (every 4-digit run, every third 5-digit one, sampled longer ones).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, Leniency, PhoneMetadata
from phonenumbers import region_code_for_country_code as main_region_of

# a formatting rule that only wraps the first group ("\1", "(\1)"): no prefix needed
_FIRST_GROUP_ONLY = re.compile(r"\(?\\1\)?")


class _Format(NamedTuple):
    leading_digits: re.Pattern[str] | None
    pattern: re.Pattern[str]
    needs_prefix: bool


class _Description(NamedTuple):
    lengths: frozenset[int]
    pattern: re.Pattern[str] | None

    def fits(self, digits: str) -> bool:
        """Possibly matched: a length it allows (or no lengths given) and its pattern (if any)."""
        return (not self.lengths or len(digits) in self.lengths) and (
            self.pattern is None or self.pattern.fullmatch(digits) is not None
        )


# the number types a valid number must match one of (phonenumbers' `PhoneNumberType`)
_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


def _description(desc) -> _Description | None:
    if desc is None:
        return None
    pattern = desc.national_number_pattern
    return _Description(
        frozenset(desc.possible_length or ()), re.compile(pattern) if pattern else None
    )


class LocalNumberRule:
    """`refuses(digits)`: the region's matcher cannot accept this run of digits written alone."""

    def __init__(self, region: str, leniency: int) -> None:
        meta = PhoneMetadata.metadata_for_region(region)
        main = (
            None
            if meta is None
            else PhoneMetadata.metadata_for_region(main_region_of(meta.country_code))
        )
        self.active = leniency >= Leniency.VALID and meta is not None and main is not None
        self._formats: tuple[_Format, ...] = ()
        self._descriptions: tuple[tuple[_Description, tuple[_Description, ...]], ...] = ()
        self._not_plain: tuple[re.Pattern[str], ...] = ()
        if not self.active:
            return
        # the formats of the country code's main region decide the prefix (the matcher's check)
        self._formats = tuple(
            _Format(
                re.compile(f.leading_digits_pattern[-1]) if f.leading_digits_pattern else None,
                re.compile(f.pattern),
                bool(f.national_prefix_formatting_rule)
                and not f.national_prefix_optional_when_formatting
                and _FIRST_GROUP_ONLY.fullmatch(f.national_prefix_formatting_rule) is None,
            )
            for f in main.number_format
        )
        # valid in a region of the country code (a number is checked against its own region):
        # its general description and one of its number types match
        self._descriptions: tuple[tuple[_Description, tuple[_Description, ...]], ...] = ()
        for other in COUNTRY_CODE_TO_REGION_CODE.get(meta.country_code, ()):
            other_meta = PhoneMetadata.metadata_for_region(other)
            general = _description(getattr(other_meta, "general_desc", None))
            if general is None:
                continue
            types = tuple(
                d for t in _TYPES if (d := _description(getattr(other_meta, t, None))) is not None
            )
            self._descriptions += ((general, types),)
        # starts the parser could strip or read otherwise: the country code (written without
        # a plus), the international prefix, the national prefix (for parsing) of either region
        heads = ["0", re.escape(str(meta.country_code))]
        for m in (meta, main):
            heads += [m.international_prefix, m.national_prefix_for_parsing, m.national_prefix]
        self._not_plain = tuple(re.compile(h) for h in heads if h)

    def refuses(self, digits: str) -> bool:
        """True when the matcher, at this leniency, cannot accept `digits` (ASCII) here."""
        if not self.active or any(h.match(digits) for h in self._not_plain):
            return False
        return not self._possibly_valid(digits) or self._lacks_prefix(digits)

    def _possibly_valid(self, digits: str) -> bool:
        if not self._descriptions:
            return True
        return any(
            general.fits(digits) and any(t.fits(digits) for t in types)
            for general, types in self._descriptions
        )

    def _lacks_prefix(self, digits: str) -> bool:
        for f in self._formats:  # the first format that fits decides, as when formatting
            fits_lead = f.leading_digits is None or f.leading_digits.match(digits) is not None
            if fits_lead and f.pattern.fullmatch(digits) is not None:
                return f.needs_prefix
        return False  # no format: no prefix required
