"""Which hemisphere each region is in, from its label (or, failing that, its centre)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["infer_hemispheres"]

_WORDS = {"rh": True, "right": True, "lh": False, "left": False}
_LETTERS = {"r": True, "l": False}
_CAMEL = re.compile(r"^([rRlL])(?=[A-Z0-9_.\-])")


def _words(label: str) -> list[str]:
    return [t.lower() for t in re.split(r"[^A-Za-z0-9]+", label) if t]


def _by_word(label: str) -> bool | None:
    """``rh``/``lh``/``right``/``left`` as a word anywhere (unambiguous)."""
    votes = {_WORDS[t] for t in _words(label) if t in _WORDS}
    return votes.pop() if len(votes) == 1 else None


def _by_prefix(label: str) -> bool | None:
    """``r``/``l`` as the first word: ``r_fusiform``, ``L.BSTS``."""
    words = _words(label)
    return _LETTERS.get(words[0]) if len(words) > 1 else None


def _by_suffix(label: str) -> bool | None:
    """``r``/``l`` as the last word: ``RM-TCpol_R``, ``insula_L``."""
    words = _words(label)
    return _LETTERS.get(words[-1]) if len(words) > 1 else None


def _by_camel(label: str) -> bool | None:
    """A one-letter prefix before a capital: ``rA1``, ``lPFCM`` (TVB's data)."""
    m = _CAMEL.match(label)
    return None if m is None else m.group(1).lower() == "r"


def infer_hemispheres(labels: Sequence[str], centres: Any = None) -> np.ndarray:
    """Guess each region's hemisphere (``True`` = right) from its label or centre.

    1. A label with the word ``rh``/``right`` or ``lh``/``left`` (words are split
       on non-alphanumerics: ``ctx-lh-insula``, ``Right-Amygdala``) decides.
    2. For the other labels, the first of these conventions that decides *all* of
       them and finds both hemispheres is used: ``r``/``l`` as the first word
       (``r_fusiform``), as the last word (``RM-TCpol_R``), or as a one-letter
       prefix before a capital (``rA1``, as in TVB's data).
    3. Failing that, a label is decided by ``r``/``l`` as its first or last word
       when nothing contradicts it (a lone one-letter prefix such as ``LGN`` does
       not decide).
    4. A region still undecided is right when its x centre is > 0 (RAS/MNI).

    Parameters
    ----------
    labels : sequence of str
        Region names.
    centres : array_like, shape (N, 3), optional
        Region centres in mm.

    Returns
    -------
    ndarray of bool, shape (N,)
    """
    labels = [str(x) for x in labels]
    side: list[bool | None] = [_by_word(x) for x in labels]
    open_ = [i for i, s in enumerate(side) if s is None]
    rules = (_by_prefix, _by_suffix, _by_camel)
    for rule in rules:
        found = [rule(labels[i]) for i in open_]
        if open_ and None not in found and (len(open_) < 2 or len(set(found)) == 2):
            for i, s in zip(open_, found):
                side[i] = s
            break
    else:
        for i in open_:
            votes = {v for v in (_by_prefix(labels[i]), _by_suffix(labels[i])) if v is not None}
            camel = _by_camel(labels[i])
            side[i] = votes.pop() if len(votes) == 1 and camel in (None, *votes) else None
    x = np.zeros(len(labels)) if centres is None else np.asarray(centres, dtype=float).reshape(len(labels), -1)[:, 0]
    return np.array([bool(x[i] > 0) if s is None else s for i, s in enumerate(side)], dtype=bool)
