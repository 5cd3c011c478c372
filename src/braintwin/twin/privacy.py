"""Keeping direct identifiers out of a twin: pseudonymous subject IDs and safe metadata.

A twin holds a person's most intimate data, so it is built to hold *no direct
identifier*: the subject is named by a pseudonym (``"sub-001"``, ``"P17"``,
``"twin-3f9a0c21"``), and the twin's metadata accepts only a short list of keys
(age in whole years, sex, diagnosis code, site, atlas, ...).  Names, birth
dates, e-mail addresses, phone numbers and free-text notes are refused with an
:class:`~braintwin.errors.InputError` naming the offending key.

The checks are heuristics that err on the side of refusing: a value made of two
or more capitalised words (``"John Smith"``, ``"Healthy Control"``) is taken for
a name; use a short code instead (``"HC"``, ``"healthy_control"``).  They cannot
recognise every identifier (a lone surname in lower case passes), so the
pseudonymisation itself stays the data controller's job.  Reading identifying
headers of clinical recordings (EDF patient fields, ...) belongs to data import.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from .._privacy import _CAMEL_NAME, _EMAIL, _ID_CHARS, identifier_problem
from ..errors import InputError

__all__ = [
    "ALLOWED_METADATA",
    "FORBIDDEN_METADATA",
    "MAX_ID_LENGTH",
    "check_subject_id",
    "check_metadata",
    "identifier_problem",
    "new_subject_id",
]

#: Longest accepted subject ID.
MAX_ID_LENGTH = 64
#: Longest accepted metadata string value.
MAX_VALUE_LENGTH = 64
#: Most whitespace-separated words in a metadata string value (longer is free text).
MAX_VALUE_WORDS = 4

#: Metadata keys a twin accepts, with what each may hold.
ALLOWED_METADATA: dict[str, str] = {
    "age_years": "age in whole years, an integer 0-130 (never a birth date)",
    "sex": "one of F, M, X, female, male, other, unknown",
    "handedness": "a short code (e.g. R, L, A)",
    "diagnosis_code": "a diagnosis code (e.g. ICD-10 G40.1)",
    "site": "a site code",
    "atlas": "the parcellation's short name (e.g. desikan_killiany, vep, tvb76)",
    "cohort": "a cohort code",
    "group": "a group code (e.g. HC, patient)",
    "condition": "a condition code (e.g. rest, ictal)",
    "session": "a session code",
    "modality": "a recording modality (e.g. seeg, eeg, meg, fmri)",
    "scanner": "a scanner model code",
    "field_strength_t": "MRI field strength in tesla (a number)",
    "study": "a study code",
    "consent": "a consent form/version code",
    "species": "a species code (e.g. human)",
}

#: Keys refused outright, with the reason (keys are compared lower-cased, '-' and ' ' as '_').
FORBIDDEN_METADATA: dict[str, str] = {
    **{k: "a personal name" for k in (
        "name", "first_name", "firstname", "last_name", "lastname", "surname", "given_name",
        "family_name", "full_name", "patient_name", "patient", "initials", "maiden_name",
    )},
    **{k: "a birth date" for k in ("birth_date", "birthdate", "date_of_birth", "dob", "birthday", "birth")},
    **{k: "contact details" for k in (
        "address", "street", "city", "postcode", "postal_code", "zip", "zip_code",
        "phone", "telephone", "mobile", "email", "e_mail", "mail", "fax",
    )},
    **{k: "free text" for k in (
        "notes", "note", "comment", "comments", "description", "free_text", "freetext", "text",
        "remarks", "remark", "history", "anamnesis",
    )},
    **{k: "a record or ID number" for k in (
        "mrn", "medical_record_number", "record_number", "patient_id", "hospital_id", "ssn",
        "social_security_number", "nhs_number", "insurance_number", "national_id", "passport",
    )},
}

# Fragments that make any key identifying ("mother_name", "birth_place", "contact_email").
_FORBIDDEN_FRAGMENTS = {
    "name": "a personal name", "birth": "a birth date", "dob": "a birth date", "mail": "contact details",
    "phone": "contact details", "address": "contact details", "note": "free text", "comment": "free text",
    "remark": "free text", "descr": "free text", "text": "free text", "mrn": "a record or ID number",
    "ssn": "a record or ID number", "insurance": "a record or ID number",
}

_SEXES = {"f", "m", "x", "female", "male", "other", "unknown", "o", "u", "n/a"}


def check_subject_id(subject_id: Any) -> str:
    """Validate a pseudonymous subject ID.

    Accepted: 1-64 characters, letters, digits, ``_``, ``.`` and ``-``, starting
    with a letter or digit, e.g. ``"sub-001"``, ``"P17"``, ``"twin-3f9a"``.
    Refused: anything that looks like a personal name (two or more capitalised
    words, ``"John_Smith"``, ``"JohnSmith"``), a date (``"1985-03-12"``,
    ``"12/03/1985"``, ``"19850312"``), an e-mail address or a phone number.

    Parameters
    ----------
    subject_id : str

    Returns
    -------
    str
        The subject ID, unchanged.

    Raises
    ------
    InputError
        ``field="subject_id"``, saying what the ID looks like.
    """
    if not isinstance(subject_id, str):
        raise InputError(f"expected a string pseudonym, got {type(subject_id).__name__}", field="subject_id")
    hint = "use a pseudonym such as 'sub-001' (braintwin.twin.new_subject_id() makes one)"
    if len(subject_id) > MAX_ID_LENGTH:
        raise InputError(f"longer than {MAX_ID_LENGTH} characters; {hint}", field="subject_id")
    if "@" in subject_id and _EMAIL.search(subject_id):
        raise InputError(f"{subject_id!r} looks like an e-mail address; {hint}", field="subject_id")
    problem = identifier_problem(subject_id, separators=r"[\s,_.\-]+")
    if problem is None and _CAMEL_NAME.fullmatch(subject_id):
        problem = "a personal name"
    if problem:
        raise InputError(f"{subject_id!r} looks like {problem}; {hint}", field="subject_id")
    if not _ID_CHARS.fullmatch(subject_id):
        raise InputError(
            f"{subject_id!r}: only letters, digits, '_', '.' and '-' are allowed (no spaces), "
            f"starting with a letter or digit; {hint}",
            field="subject_id",
        )
    return subject_id


def new_subject_id(prefix: str = "twin") -> str:
    """A fresh random pseudonym, e.g. ``"twin-3f9a0c21"`` (32 random bits).

    Parameters
    ----------
    prefix : str, optional
        Text before the dash (checked like any subject ID).

    Returns
    -------
    str
        A subject ID that passes :func:`check_subject_id`.
    """
    while True:
        sid = f"{prefix}-{secrets.token_hex(4)}"
        try:
            return check_subject_id(sid)
        except InputError:
            if not prefix or identifier_problem(prefix) or not _ID_CHARS.fullmatch(prefix):
                raise
            # a rare random draw that reads as a date (e.g. "19850312"): draw again


def _norm_key(key: str) -> str:
    return re.sub(r"[\s\-]+", "_", key.strip().lower())


def check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a twin's metadata and return a clean copy.

    Only the keys of :data:`ALLOWED_METADATA` are accepted.  Keys that would
    hold a direct identifier (:data:`FORBIDDEN_METADATA`: names, birth dates,
    contact details, free-text notes, record numbers) are refused with the
    reason; string values are refused when they look like a name, a date, an
    e-mail address or a phone number, or are free text (more than 64 characters
    or 4 words).

    Parameters
    ----------
    metadata : mapping of str to str, int or float, or None

    Returns
    -------
    dict
        ``age_years`` as int, ``field_strength_t`` as float, the rest as str.

    Raises
    ------
    InputError
        ``field="metadata.<key>"``, naming the key and the problem.
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InputError(f"expected a dict, got {type(metadata).__name__}", field="metadata")
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise InputError(f"keys must be strings, got {key!r}", field="metadata")
        field = f"metadata.{key}"
        norm = _norm_key(key)
        reason = FORBIDDEN_METADATA.get(norm) or next(
            (r for frag, r in _FORBIDDEN_FRAGMENTS.items() if frag in norm and norm not in ALLOWED_METADATA), None
        )
        if reason:
            raise InputError(
                f"refused: this key would hold {reason}; a twin holds no direct identifier, only a "
                "pseudonymous subject_id (allowed metadata keys: " + ", ".join(ALLOWED_METADATA) + ")",
                field=field,
            )
        if key not in ALLOWED_METADATA:
            raise InputError(
                f"not an allowed metadata key; allowed: {', '.join(ALLOWED_METADATA)}", field=field
            )
        out[key] = _check_value(key, value, field)
    return out


def _check_value(key: str, value: Any, field: str) -> Any:
    if key == "age_years":
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__index__"):
            raise InputError(
                f"expected an integer number of years, got {value!r} (a birth date is not allowed)", field=field
            )
        v = float(value)
        if not v.is_integer() or not 0 <= v <= 130:
            raise InputError(f"expected whole years between 0 and 130, got {value!r}", field=field)
        return int(v)
    if key == "field_strength_t":
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InputError(f"expected a number (tesla), got {value!r}", field=field) from None
        if isinstance(value, bool) or not 0 < v < 100:
            raise InputError(f"expected a field strength in tesla, got {value!r}", field=field)
        return v
    if not isinstance(value, str):
        raise InputError(f"expected a short string code, got {type(value).__name__}", field=field)
    if key == "sex" and value.strip().lower() not in _SEXES:
        raise InputError(f"expected one of F, M, X, female, male, other, unknown; got {value!r}", field=field)
    problem = identifier_problem(value)
    if problem:
        raise InputError(f"{value!r} looks like {problem}; use a short code", field=field)
    if "\n" in value or "\r" in value or len(value) > MAX_VALUE_LENGTH or len(value.split()) > MAX_VALUE_WORDS:
        raise InputError(
            f"looks like free text (more than {MAX_VALUE_LENGTH} characters, {MAX_VALUE_WORDS} words or a "
            "line break); free-text notes are not allowed in a twin, use a short code",
            field=field,
        )
    return value
