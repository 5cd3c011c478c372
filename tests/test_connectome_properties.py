"""Property tests: malformed input gives a Connectome or an InputError, never anything else."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import braintwin as bt
from braintwin.connectome import (
    read_h5,
    read_matrices,
    read_mrtrix,
    read_npz,
    read_tvb_zip,
    write_h5,
    write_npz,
    write_tvb_zip,
)
from braintwin.errors import InputError

pytestmark = pytest.mark.filterwarnings("ignore::braintwin.errors.BraintwinWarning")

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def valid_or_input_error(read, *args, **kwargs):
    """Call a reader; it must return a valid Connectome or raise InputError."""
    try:
        c = read(*args, **kwargs)
    except InputError as e:
        assert e.source and e.problem  # every error names its file and says what is wrong
        return None
    assert isinstance(c, bt.Connectome)
    n = c.n_regions
    assert c.weights.shape == c.tract_lengths.shape == (n, n) and len(c.labels) == n
    assert np.isfinite(c.weights).all() and (c.weights >= 0).all() and (c.tract_lengths >= 0).all()
    return c


# a small valid connectome and its files, to be mangled
rng = np.random.default_rng(0)
_W = np.triu(rng.uniform(0, 1, (5, 5)) * (rng.uniform(size=(5, 5)) > 0.3), 1)
_W = _W + _W.T
_L = np.where(_W > 0, rng.uniform(5, 100, (5, 5)), 0.0)
_L = np.maximum(_L, _L.T)
VALID = bt.Connectome(_W, _L, [f"r{i}" if i % 2 else f"l{i}" for i in range(5)], warn=False)


def _bytes_of(writer) -> bytes:
    """The bytes ``writer`` writes for VALID."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.bin"
        writer(VALID, path)
        return path.read_bytes()


def _matrix_text(a: np.ndarray, sep: str = " ") -> str:
    return "\n".join(sep.join(repr(float(v)) for v in row) for row in a) + "\n"


TEXT_ALPHABET = st.sampled_from(list("0123456789.-+eE,; \t\n|:naifNA") + ["nan", "inf", "1e400", "\r\n", "#"])


# ------------------------------------------------------------------ random data


@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes_every_reader(tmp_path, data):
    for name, read in (("w.csv", read_mrtrix), ("c.zip", read_tvb_zip), ("c.h5", read_h5), ("c.npz", read_npz)):
        path = tmp_path / name
        path.write_bytes(data)
        valid_or_input_error(read, path)
        valid_or_input_error(bt.Connectome.load, path)


@SETTINGS
@given(text=st.lists(TEXT_ALPHABET, max_size=200).map("".join))
def test_random_numeric_text(tmp_path, text):
    path = tmp_path / "w.txt"
    path.write_text(text)
    valid_or_input_error(read_mrtrix, path)
    (tmp_path / "l.txt").write_text(text)
    valid_or_input_error(read_mrtrix, path, lengths=tmp_path / "l.txt", labels=None)


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_unicode_text_in_a_folder(tmp_path, text):
    (tmp_path / "weights.csv").write_text(_matrix_text(_W, ","))
    (tmp_path / "lengths.csv").write_text(_matrix_text(_L, ","))
    target = tmp_path / "centres.txt"
    try:
        target.write_text(text, encoding="utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be stored as UTF-8
        assume(False)
    valid_or_input_error(read_matrices, tmp_path)
    target.unlink()
    (tmp_path / "labels.txt").write_text(text, encoding="utf-8")
    valid_or_input_error(read_matrices, tmp_path)


# ------------------------------------------------------------- truncated files


@SETTINGS
@given(cut=st.integers(min_value=0, max_value=len(_matrix_text(_W)) - 1))
def test_truncated_numeric_text(tmp_path, cut):
    path = tmp_path / "w.txt"
    path.write_text(_matrix_text(_W)[:cut])
    (tmp_path / "l.txt").write_text(_matrix_text(_L))
    c = valid_or_input_error(read_mrtrix, path, lengths=tmp_path / "l.txt")
    assert c is None or c.n_regions == 5


ZIP_BYTES = _bytes_of(write_tvb_zip)
H5_BYTES = _bytes_of(write_h5)
NPZ_BYTES = _bytes_of(write_npz)


@SETTINGS
@given(data=st.data())
def test_truncated_and_corrupted_binary_files(tmp_path, data):
    for name, raw, read in (("c.zip", ZIP_BYTES, read_tvb_zip), ("c.h5", H5_BYTES, read_h5), ("c.npz", NPZ_BYTES, read_npz)):
        buf = bytearray(raw[: data.draw(st.integers(0, len(raw)), label=f"{name} cut")])
        for _ in range(data.draw(st.integers(0, 4), label="flips")):
            if buf:
                i = data.draw(st.integers(0, len(buf) - 1))
                buf[i] = data.draw(st.integers(0, 255))
        path = tmp_path / name
        path.write_bytes(bytes(buf))
        valid_or_input_error(read, path)


@SETTINGS
@given(
    entry=st.sampled_from(["weights.txt", "tract_lengths.txt", "centres.txt", "cortical.txt", "hemispheres.txt", "areas.txt"]),
    text=st.lists(TEXT_ALPHABET | st.sampled_from(["a ", "rA1 ", "None", "True", "\n"]), max_size=120).map("".join),
)
def test_zip_with_one_mangled_entry(tmp_path, entry, text):
    entries = {"weights.txt": _matrix_text(_W), "tract_lengths.txt": _matrix_text(_L), entry: text}
    path = tmp_path / "c.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    valid_or_input_error(read_tvb_zip, path)


# ------------------------------------------------------------- random delimiters

DELIMITERS = st.sampled_from([" ", "  ", "\t", ",", ", ", ";", "|", ":", " ,"])


@SETTINGS
@given(seps=st.lists(DELIMITERS, min_size=5, max_size=5), forced=st.none() | st.sampled_from([None, ",", ";", "\t", " "]))
def test_random_delimiters(tmp_path, seps, forced):
    text = "".join(sep.join(repr(float(v)) for v in row) + "\n" for sep, row in zip(seps, _W))
    path = tmp_path / "w.csv"
    path.write_text(text)
    c = valid_or_input_error(read_mrtrix, path, delimiter=forced, lengths=None)
    if c is not None:
        assert np.array_equal(c.weights, _W)  # parsed means parsed right
    if len(set(seps)) == 1 and seps[0] in (" ", "  ", "\t", ",", ", ", ";") and forced is None:
        assert c is not None  # one consistent common delimiter is detected


# ------------------------------------------------------------------ arrays in


@SETTINGS
@given(
    w=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.floats(allow_nan=True, allow_infinity=True, width=32)),
    t=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.floats(-1, 100)),
    labels=st.none() | st.lists(st.text(min_size=0, max_size=4), max_size=6),
)
def test_constructor_random_arrays(w, t, labels):
    valid_or_input_error(bt.Connectome, w, t, labels)


@st.composite
def connectomes(draw):
    n = draw(st.integers(1, 7))
    w = draw(hnp.arrays(np.float64, (n, n), elements=st.floats(0, 1e6) | st.just(0.0)))
    t = draw(hnp.arrays(np.float64, (n, n), elements=st.floats(0.5, 300)))
    labels = draw(st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9_.\-]{0,6}", fullmatch=True), min_size=n, max_size=n, unique=True))
    return bt.Connectome(w, t, labels, centres=draw(hnp.arrays(np.float64, (n, 3), elements=st.floats(-100, 100))), warn=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(c=connectomes(), ext=st.sampled_from([".zip", ".h5", ".npz"]))
def test_round_trip_property(tmp_path, c, ext):
    back = bt.Connectome.load(c.save(tmp_path / f"c{ext}"), warn=False)
    assert np.array_equal(back.weights, c.weights)
    assert np.array_equal(back.tract_lengths, c.tract_lengths)
    assert np.array_equal(back.centres, c.centres)
    assert back.labels == c.labels
    assert np.array_equal(back.hemispheres, c.hemispheres)
