"""Strict, friendly parsing of the small text files connectomes come in.

Every function here takes the raw bytes of one file plus the ``source`` (the file,
as the user should see it) and the ``field`` (what the file holds), and either
returns arrays or raises :class:`~braintwin.errors.InputError` that names the
line and the problem.  No other exception type escapes.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InputError

__all__ = ["decode", "parse_matrix", "parse_vector", "parse_centres", "parse_labels"]

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", " ": "space", None: "whitespace"}
_OTHER_DELIMITERS = re.compile(r"[,;\t |:]")
_TRUE = {"true", "yes", "right"}
_FALSE = {"false", "no", "left"}


def decode(data: bytes, *, source: str, field: str) -> str:
    """Decode UTF-8 text (a BOM is dropped), or raise :class:`InputError`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not a text file (bytes that are not UTF-8: binary data?)", source=source, field=field) from None
    if "\x00" in text:
        raise InputError("not a text file (contains NUL bytes: binary data?)", source=source, field=field)
    return text


def _rows(data: bytes | str, *, source: str, field: str, delimiter: str | None) -> tuple[list[tuple[int, list[str]]], str | None]:
    """Split text into ``(line_number, tokens)`` rows; skip blank and ``#`` lines.

    ``delimiter=None`` detects it from the first row (comma, then semicolon, then
    whitespace); an explicit delimiter is used as given.
    """
    text = decode(data, source=source, field=field) if isinstance(data, bytes) else data
    lines = [(k, line.strip()) for k, line in enumerate(text.splitlines(), start=1)]
    lines = [(k, line) for k, line in lines if line and not line.startswith("#")]
    if not lines:
        raise InputError("file is empty (no data lines)", source=source, field=field)
    if delimiter is None:
        first = lines[0][1]
        delimiter = "," if "," in first else ";" if ";" in first else None
    rows = []
    for k, line in lines:
        if delimiter is None or delimiter == " ":
            tokens = line.split()
        else:
            tokens = [t.strip() for t in line.split(delimiter)]
            if len(tokens) > 1 and tokens[-1] == "":
                tokens.pop()  # one trailing delimiter is harmless
        rows.append((k, tokens))
    return rows, delimiter


def _delimiter_hint(token: str, delimiter: str | None) -> str:
    if _OTHER_DELIMITERS.search(token.strip()):
        return f": wrong delimiter? (read as {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}-separated)"
    return ""


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _to_floats(rows, *, source: str, field: str, delimiter: str | None, booleans: bool = False) -> np.ndarray:
    """Convert equal-length token rows to a float64 matrix, naming the first bad token."""
    out = np.empty((len(rows), len(rows[0][1]) if rows else 0))
    for r, (k, tokens) in enumerate(rows):
        if booleans:
            tokens = ["1" if t.lower() in _TRUE else "0" if t.lower() in _FALSE else t for t in tokens]
        try:
            out[r] = [float(t) for t in tokens]
        except ValueError:
            for c, t in enumerate(tokens, start=1):
                if not _is_number(t):
                    what = "empty value" if t == "" else f"non-numeric value {t[:40]!r}"
                    raise InputError(
                        f"line {k}, column {c}: {what}{_delimiter_hint(t, delimiter)}", source=source, field=field
                    ) from None
            raise  # pragma: no cover - float() failed on a token that parses
    return out


def parse_matrix(
    data: bytes | str,
    *,
    source: str,
    field: str,
    delimiter: str | None = None,
    square: bool = True,
    allow_labels: bool = False,
) -> tuple[np.ndarray, list[str] | None]:
    """Parse a numeric matrix from delimited text.

    Parameters
    ----------
    data : bytes or str
        The file's content.
    source, field : str
        Named in error messages (the file and what it holds).
    delimiter : str, optional
        Column delimiter; ``None`` detects comma, semicolon or whitespace.
    square : bool
        Require as many columns as rows.
    allow_labels : bool
        Accept a header row of labels and/or a first column of labels (as written
        by spreadsheet tools and pandas).

    Returns
    -------
    matrix : ndarray of float64, shape (rows, columns)
    labels : list of str or None
        The labels found in a header row or first column, if any.

    Raises
    ------
    InputError
        Empty file, ragged rows, a non-square matrix, a non-numeric value.
    """
    rows, delimiter = _rows(data, source=source, field=field, delimiter=delimiter)
    labels = None
    if allow_labels:
        rows, labels = _strip_labels(rows, source=source, field=field)
    width = len(rows[0][1])
    for k, tokens in rows:
        if len(tokens) != width:
            hint = ": wrong delimiter?" if 1 in (len(tokens), width) else " (truncated or ragged file?)"
            raise InputError(
                f"line {k}: expected {width} columns like line {rows[0][0]}, found {len(tokens)}{hint}",
                source=source,
                field=field,
            )
    if square and width != len(rows):
        k, first = rows[0]
        bad = next((t for t in first if not _is_number(t)), None)
        if (width == 1 and len(rows) > 1) or (bad is not None and _OTHER_DELIMITERS.search(bad)):
            problem = f"line {k}: expected {len(rows)} columns, found {width}: wrong delimiter?"
            problem += f" (read as {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}-separated"
            problem += f"; {bad[:40]!r} is not a number)" if bad is not None else ")"
        else:
            problem = (
                f"matrix is not square: {len(rows)} row{'s' * (len(rows) != 1)} x "
                f"{width} column{'s' * (width != 1)} (truncated file?)"
            )
        raise InputError(problem, source=source, field=field)
    return _to_floats(rows, source=source, field=field, delimiter=delimiter), labels


def _strip_labels(rows, *, source: str, field: str):
    """Remove a header row and/or a first column of labels; return them."""
    header = None
    if len(rows) > 1 and not any(_is_number(t) for t in rows[0][1]):
        header = [t.strip().strip('"') for t in rows[0][1]]
        rows = rows[1:]
    index = None
    if all(tokens and not _is_number(tokens[0]) for _, tokens in rows):
        index = [tokens[0].strip().strip('"') for _, tokens in rows]
        rows = [(k, tokens[1:]) for k, tokens in rows]
        if header is not None and len(header) == len(rows[0][1]) + 1:
            header = header[1:]  # the corner cell above the label column
    if not rows or not rows[0][1]:
        raise InputError("no numeric values, only labels", source=source, field=field)
    if header is not None and len(header) != len(rows[0][1]):
        raise InputError(
            f"header has {len(header)} labels but line {rows[0][0]} has {len(rows[0][1])} values",
            source=source,
            field=field,
        )
    if header is not None and index is not None and header != index:
        raise InputError("row labels differ from the column labels in the header", source=source, field=field)
    return rows, header if header is not None else index


def parse_vector(
    data: bytes | str,
    *,
    source: str,
    field: str,
    n: int | None = None,
    booleans: bool = False,
) -> np.ndarray:
    """Parse one value per region (one per line, or all on one line).

    Parameters
    ----------
    data : bytes or str
        The file's content.
    source, field : str
        Named in error messages.
    n : int, optional
        The expected number of values (the number of regions).
    booleans : bool
        Also accept ``true``/``false`` (and ``right``/``left``) as 1/0.

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    rows, delimiter = _rows(data, source=source, field=field, delimiter=None)
    widths = {len(tokens) for _, tokens in rows}
    if len(rows) == 1:
        values = _to_floats(rows, source=source, field=field, delimiter=delimiter, booleans=booleans)[0]
    elif widths == {1}:
        values = _to_floats(rows, source=source, field=field, delimiter=delimiter, booleans=booleans)[:, 0]
    else:
        k = next(k for k, tokens in rows if len(tokens) != 1)
        raise InputError(
            f"line {k}: expected one value per line, found {max(widths)}", source=source, field=field
        )
    if n is not None and values.size != n:
        raise InputError(f"expected {n} values (one per region), found {values.size}", source=source, field=field)
    return values


def parse_centres(data: bytes | str, *, source: str, field: str = "centres") -> tuple[list[str] | None, np.ndarray]:
    """Parse TVB ``centres.txt``: lines ``label x y z`` (mm), or ``x y z`` without labels.

    Extra trailing columns (TVB's 66-region file ends each line with ``None``) are
    ignored.

    Returns
    -------
    labels : list of str or None
    centres : ndarray of float64, shape (N, 3)
    """
    rows, delimiter = _rows(data, source=source, field=field, delimiter=None)
    first = rows[0][1]
    labelled = not (len(first) == 3 and all(_is_number(t) for t in first))
    need = 4 if labelled else 3
    labels: list[str] | None = [] if labelled else None
    coords = []
    for k, tokens in rows:
        if len(tokens) < need:
            form = "label x y z" if labelled else "x y z"
            raise InputError(
                f"line {k}: expected '{form}', found {len(tokens)} values{_delimiter_hint(' '.join(tokens), delimiter) if len(tokens) == 1 else ''}",
                source=source,
                field=field,
            )
        if labelled:
            labels.append(tokens[0].strip('"'))
            coords.append((k, tokens[1:4]))
        else:
            coords.append((k, tokens[:3]))
    return labels, _to_floats(coords, source=source, field=field, delimiter=delimiter)


_LUT_LINE = re.compile(r"^\s*(\d+)[\s,;]+(\S.*?)\s*$")


def parse_labels(data: bytes | str, *, source: str, field: str = "labels", n: int | None = None) -> list[str]:
    """Parse region labels: one per line, or a lookup table ``index name [...]``.

    A lookup table (as MRtrix's ``fs_default.txt`` or FreeSurfer's LUT) maps node
    indices to names; nodes are numbered from 1 and index 0 (``Unknown``) is
    ignored, so ``n`` labels are taken for nodes ``1..n``.

    Returns
    -------
    list of str
    """
    text = decode(data, source=source, field=field) if isinstance(data, bytes) else data
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        raise InputError("file is empty (no labels)", source=source, field=field)
    matches = [_LUT_LINE.match(line) for line in lines]
    if not all(matches):
        return [line.strip('"') for line in lines]
    table: dict[int, str] = {}
    for m in matches:
        name = re.split(r"[\s,;]+", m.group(2))[0].strip('"')
        table.setdefault(int(m.group(1)), name)
    table.pop(0, None)
    count = n if n is not None else max(table, default=0)
    missing = [i for i in range(1, count + 1) if i not in table]
    if missing:
        raise InputError(f"lookup table has no label for node {missing[0]}", source=source, field=field)
    extra = sorted(i for i in table if i > count)
    if extra:
        raise InputError(
            f"lookup table has {len(table)} labels but the matrix has {count} regions (node {extra[0]} is extra)",
            source=source,
            field=field,
        )
    return [table[i] for i in range(1, count + 1)]
