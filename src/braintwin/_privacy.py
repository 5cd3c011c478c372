"""Recognising direct identifiers in strings: names, dates, e-mail addresses, phone numbers.

Low-level and shared: the ``observe`` stage uses it to drop identifying
recording-header fields on import, the ``twin`` stage to refuse identifying
metadata (:mod:`braintwin.twin.privacy`).  Heuristics that err on the side of
refusing.
"""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["identifier_problem"]

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_RES = (
    # ISO-like: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD
    re.compile(r"(?<!\d)(?:1[89]\d\d|2[01]\d\d)([-/._ ])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)"),
    # DD/MM/YYYY, MM/DD/YYYY, DD-MM-YY, DD.MM.YYYY ...
    re.compile(r"(?<!\d)(?:0?[1-9]|[12]\d|3[01])([-/._ ])(?:0?[1-9]|[12]\d|3[01])\1(?:\d{4}|\d{2})(?!\d)"),
    # 12 March 1985, March 12, 1985, 12-Mar-85
    re.compile(rf"(?<![a-z])\d{{1,2}}(?:st|nd|rd|th)?[\s\-./]*{_MONTHS}[\s\-.,/]*\d{{2,4}}(?!\d)", re.I),
    re.compile(rf"(?<![a-z]){_MONTHS}[\s\-./]*\d{{1,2}}(?:st|nd|rd|th)?,?[\s\-./]+\d{{4}}(?!\d)", re.I),
)
_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)(\d\d)(\d\d)(?!\d)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?:\+\d[\d\s().\-]{7,}\d)|(?<!\d)(?:\d{2,4}[\s.\-]){3,}\d{2,4}(?!\d)")
_ID_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_NAME_WORD = re.compile(r"(?:[A-Z][A-Za-z'’\-]*[a-zA-Z]|[A-Z]\.?)")
_CAMEL_NAME = re.compile(r"(?:[A-Z][a-z]+){2,}")


def _looks_like_date(s: str) -> bool:
    if any(r.search(s) for r in _DATE_RES):
        return True
    for m in _COMPACT_DATE.finditer(s):
        try:
            _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return True
        except ValueError:
            continue
    return False


def _looks_like_name(s: str, separators: str) -> bool:
    words = [w for w in re.split(separators, s.strip()) if w]
    if len(words) < 2 or not all(re.fullmatch(r"[^\W\d_]+(?:['’\-.][^\W\d_]*)*\.?", w) for w in words):
        return False  # a name is letters only (with ' - .), two words or more
    capitalised = [w for w in words if w[0].isupper()]
    return len(capitalised) >= 2 and len(capitalised) >= len(words) - 1


def identifier_problem(value: str, *, separators: str = r"[\s,]+") -> str | None:
    """What direct identifier ``value`` looks like, or ``None`` when it looks safe.

    Parameters
    ----------
    value : str
        A string to be stored in a twin.
    separators : str, optional
        Regular expression splitting ``value`` into words for the name check.

    Returns
    -------
    str or None
        ``"an e-mail address"``, ``"a date (birth dates are not allowed)"``,
        ``"a phone number"`` or ``"a personal name"``; ``None`` if none applies.
    """
    if _EMAIL.search(value):
        return "an e-mail address"
    if _looks_like_date(value):
        return "a date (birth dates are not allowed; give age_years)"
    if _PHONE.search(value):
        return "a phone number"
    if _looks_like_name(value, separators):
        return "a personal name"
    return None
