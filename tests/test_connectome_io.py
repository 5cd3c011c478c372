"""Connectome readers and writers: round trips, format variants and file errors."""

from __future__ import annotations

import bz2
import io
import warnings
import zipfile

import h5py
import numpy as np
import pytest

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
from braintwin.errors import BraintwinWarning, InputError

LABELS = ["lA", "lB", "rA", "rB"]
W = np.array([[0, 1.5, 0, 2], [1.5, 0, 3, 0], [0, 3, 0, 4.25], [2, 0, 4.25, 0]])
L = np.array([[0, 10, 0, 20.5], [10, 0, 30, 0], [0, 30, 0, 40], [20.5, 0, 40, 0]])
C = np.array([[-30, 0.1, 0], [-20, 10, 5], [30, 0, 0], [20, 10, 5]])


def tiny(**changes) -> bt.Connectome:
    fields = dict(weights=W, tract_lengths=L, labels=LABELS, centres=C, source="tiny")
    fields.update(changes)
    return bt.Connectome(**fields)


def txt(a, delimiter=" ", fmt="%.17g") -> str:
    buf = io.StringIO()
    np.savetxt(buf, np.atleast_1d(a), fmt=fmt, delimiter=delimiter)
    return buf.getvalue()


def centres_txt(labels=LABELS, centres=C) -> str:
    return "".join(f"{lab} {x!r} {y!r} {z!r}\n" for lab, (x, y, z) in zip(labels, centres.tolist()))


def make_zip(path, entries: dict) -> str:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data.encode() if isinstance(data, str) else data)
    return path


def tvb_entries(**changes) -> dict:
    entries = {"weights.txt": txt(W), "tract_lengths.txt": txt(L), "centres.txt": centres_txt()}
    entries.update(changes)
    return {k: v for k, v in entries.items() if v is not None}


def same(a: bt.Connectome, b: bt.Connectome) -> None:
    assert np.array_equal(a.weights, b.weights)
    assert np.array_equal(a.tract_lengths, b.tract_lengths)
    assert a.labels == b.labels
    assert np.array_equal(a.centres, b.centres)
    assert np.array_equal(a.hemispheres, b.hemispheres)
    assert np.array_equal(a.cortical, b.cortical)
    for field in ("areas", "orientations"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None and y is None) or np.array_equal(x, y)


@pytest.fixture
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def full() -> bt.Connectome:
    """A connectome with every optional field set, hemispheres against the labels."""
    return tiny(
        hemispheres=[True, False, True, False],
        cortical=[True, False, True, True],
        areas=[1.25, 2.0, 3.0, 0.1],
        orientations=np.arange(12.0).reshape(4, 3) / 7,
    )


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("ext", [".zip", ".h5", ".hdf5", ".npz"])
def test_round_trip_every_writer(tmp_path, ext, quiet):
    c = full()
    path = c.save(tmp_path / f"c{ext}")
    back = bt.Connectome.load(path)
    same(c, back)
    assert back.source == str(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"c{ext}"]  # no temporary files left


@pytest.mark.parametrize("writer, reader", [(write_tvb_zip, read_tvb_zip), (write_h5, read_h5), (write_npz, read_npz)])
def test_round_trip_builtin(tmp_path, writer, reader):
    c = bt.Connectome.builtin("tvb192")
    path = writer(c, tmp_path / "c.bin")
    same(c, reader(path, warn=False, allow_zero_lengths=True))


def test_write_is_atomic_on_failure(tmp_path):
    path = tiny().save(tmp_path / "c.zip")
    before = path.read_bytes()
    with pytest.raises(InputError) as e:
        tiny(labels=["left A", "lB", "rA", "rB"]).save(path)
    assert e.value.field == "labels" and "whitespace" in e.value.problem
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.zip"]


def test_labels_with_spaces_round_trip_in_h5_and_npz(tmp_path, quiet):
    c = tiny(labels=["Left A", "Left B", "Right A", "Right B"])
    for ext in (".h5", ".npz"):
        assert bt.Connectome.load(c.save(tmp_path / f"c{ext}")).labels == c.labels


def test_save_unknown_extension(tmp_path):
    with pytest.raises(InputError) as e:
        tiny().save(tmp_path / "c.mat")
    assert e.value.field == "path" and "c.mat" in str(e.value)


# --------------------------------------------------------------- TVB zip forms


def test_tvb_zip_subfolder_bz2_and_tvb66_centres(tmp_path, quiet):
    centres = "".join(f"  {lab} {x:.8f} {y:.8f} {z:.8f} None\n" for lab, (x, y, z) in zip(LABELS, C))
    entries = {
        "conn/weights.txt.bz2": bz2.compress(txt(W).encode()),
        "conn/tract_lengths.txt": txt(L),
        "conn/centres.txt": centres,
        "conn/info.txt": "anything",
        "__MACOSX/conn/._weights.txt": b"\x00\x01",
    }
    c = read_tvb_zip(make_zip(tmp_path / "c.zip", entries))
    assert c.labels == LABELS and np.allclose(c.centres, C) and np.array_equal(c.weights, W)
    assert c.hemispheres.tolist() == [False, False, True, True]  # inferred from "l"/"r"


def test_tvb_zip_optional_files(tmp_path, quiet):
    entries = tvb_entries(
        **{
            "hemispheres.txt": "1\n0\n1\n0\n",
            "cortical.txt": "True\nFalse\nTrue\nTrue\n",
            "areas.txt": "1 2 3 4\n",
            "average_orientations.txt": txt(np.eye(4, 3)),
        }
    )
    c = read_tvb_zip(make_zip(tmp_path / "c.zip", entries))
    assert c.hemispheres.tolist() == [True, False, True, False]
    assert c.cortical.tolist() == [True, False, True, True]
    assert c.areas.tolist() == [1, 2, 3, 4]
    assert np.array_equal(c.orientations, np.eye(4, 3))


def test_tvb_zip_centres_without_labels(tmp_path, quiet):
    c = read_tvb_zip(make_zip(tmp_path / "c.zip", tvb_entries(**{"centres.txt": txt(C)})))
    assert c.labels[0] == "region_000"
    assert c.hemispheres.tolist() == [False, False, True, True]  # from the sign of x


def test_tvb_zip_without_centres(tmp_path, quiet):
    c = read_tvb_zip(make_zip(tmp_path / "c.zip", tvb_entries(**{"centres.txt": None})))
    assert c.n_regions == 4 and not c.centres.any()


def test_tvb_zip_missing_entry(tmp_path):
    path = make_zip(tmp_path / "c.zip", tvb_entries(**{"tract_lengths.txt": None}))
    with pytest.raises(InputError) as e:
        read_tvb_zip(path)
    assert e.value.source == str(path) and e.value.field == "tract_lengths"
    assert "missing tract_lengths.txt" in e.value.problem and "weights.txt" in e.value.problem


def test_tvb_zip_two_weights_files(tmp_path):
    path = make_zip(tmp_path / "c.zip", tvb_entries(**{"a/weights.txt": txt(W)}))
    with pytest.raises(InputError, match="two files hold weights"):
        read_tvb_zip(path)


def test_not_a_zip(tmp_path):
    path = tmp_path / "c.zip"
    path.write_text("hello")
    with pytest.raises(InputError) as e:
        bt.Connectome.load(path)
    assert e.value.source == str(path) and e.value.field == "zip" and "not a valid zip" in e.value.problem


def test_zip_bad_bz2(tmp_path):
    path = make_zip(tmp_path / "c.zip", tvb_entries(**{"weights.txt": None, "weights.txt.bz2": b"BZh9garbage"}))
    with pytest.raises(InputError) as e:
        read_tvb_zip(path)
    assert "weights.txt.bz2" in str(e.value) and "decompress" in e.value.problem


# -------------------------------------------------------------- folder of text


@pytest.mark.parametrize("ext, delimiter", [(".csv", ","), (".tsv", "\t"), (".txt", " ")])
def test_folder_round_trip(tmp_path, ext, delimiter, quiet):
    (tmp_path / f"weights{ext}").write_text(txt(W, delimiter))
    (tmp_path / f"lengths{ext}").write_text(txt(L, delimiter))
    (tmp_path / "labels.txt").write_text("\n".join(LABELS) + "\n")
    c = bt.Connectome.load(tmp_path)
    same(c, tiny(centres=None))
    assert c.source == str(tmp_path)


def test_folder_with_header_and_index_column(tmp_path, quiet):
    """As pandas ``DataFrame.to_csv`` writes: a header row and a label column."""
    rows = [",".join([""] + LABELS)] + [",".join([lab] + [repr(float(v)) for v in row]) for lab, row in zip(LABELS, W)]
    (tmp_path / "weights.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "tract_lengths.csv").write_text(txt(L, ","))
    c = read_matrices(tmp_path)
    assert c.labels == LABELS and np.array_equal(c.weights, W)


def test_folder_centres_and_labels_argument(tmp_path, quiet):
    (tmp_path / "weights.txt").write_text(txt(W))
    (tmp_path / "tract_lengths.txt.gz").write_bytes(__import__("gzip").compress(txt(L).encode()))
    (tmp_path / "centres.txt").write_text(centres_txt())
    assert read_matrices(tmp_path).labels == LABELS
    c = read_matrices(tmp_path, labels=["a", "b", "c", "d"])
    assert c.labels == ["a", "b", "c", "d"] and np.allclose(c.centres, C)


def test_folder_missing_lengths(tmp_path):
    (tmp_path / "weights.csv").write_text(txt(W, ","))
    with pytest.raises(InputError) as e:
        read_matrices(tmp_path)
    assert e.value.field == "tract_lengths" and e.value.source == str(tmp_path)
    assert "weights.csv" in e.value.problem


def test_folder_label_count_mismatch(tmp_path):
    (tmp_path / "weights.csv").write_text(txt(W, ","))
    (tmp_path / "lengths.csv").write_text(txt(L, ","))
    (tmp_path / "labels.txt").write_text("a\nb\nc\n")
    with pytest.raises(InputError) as e:
        read_matrices(tmp_path)
    assert e.value.source.endswith("labels.txt") and e.value.field == "labels" and "3 labels for 4" in e.value.problem


def test_folder_shape_mismatch(tmp_path):
    (tmp_path / "weights.csv").write_text(txt(W, ","))
    (tmp_path / "lengths.csv").write_text(txt(L[:3, :3], ","))
    with pytest.raises(InputError) as e:
        read_matrices(tmp_path)
    assert e.value.source == str(tmp_path) and e.value.field == "tract_lengths" and "(3, 3)" in e.value.problem


# ----------------------------------------------------------------------- MRtrix


def test_mrtrix_upper_triangle_with_lengths_and_lut(tmp_path, quiet):
    (tmp_path / "weights.csv").write_text(txt(np.triu(W), ","))
    (tmp_path / "lengths.csv").write_text(txt(np.triu(L), ","))
    (tmp_path / "lut.txt").write_text(
        "# index name long-name r g b a\n0 Unknown x 0 0 0 0\n"
        + "".join(f"{i} {lab} ctx-{lab} 1 2 3 255\n" for i, lab in enumerate(LABELS, start=1))
    )
    c = bt.Connectome.load(tmp_path / "weights.csv", lengths=tmp_path / "lengths.csv", labels=tmp_path / "lut.txt")
    assert np.array_equal(c.weights, W) and np.array_equal(c.tract_lengths, L)
    assert c.labels == LABELS and c.is_symmetric
    assert c.source == str(tmp_path / "weights.csv")


def test_mrtrix_space_delimited_full_matrix(tmp_path, quiet):
    (tmp_path / "w.txt").write_text(txt(W))
    (tmp_path / "l.txt").write_text(txt(L))
    c = read_mrtrix(tmp_path / "w.txt", lengths=tmp_path / "l.txt", labels=LABELS)
    same(c, tiny(centres=None))


def test_mrtrix_symmetrize_off(tmp_path):
    (tmp_path / "w.csv").write_text(txt(np.triu(W), ","))
    (tmp_path / "l.csv").write_text(txt(L, ","))
    c = read_mrtrix(tmp_path / "w.csv", lengths=tmp_path / "l.csv", symmetrize=False, warn=False)
    assert np.array_equal(c.weights, np.triu(W)) and not c.is_symmetric


def test_mrtrix_without_lengths_warns(tmp_path):
    (tmp_path / "w.csv").write_text(txt(W, ","))
    with pytest.warns(BraintwinWarning, match="delays are zero"):
        c = read_mrtrix(tmp_path / "w.csv")
    assert not c.delays(3.0).any()


def test_mrtrix_lengths_shape_mismatch(tmp_path):
    (tmp_path / "w.csv").write_text(txt(W, ","))
    (tmp_path / "l.csv").write_text(txt(L[:2, :2], ","))
    with pytest.raises(InputError) as e:
        read_mrtrix(tmp_path / "w.csv", lengths=tmp_path / "l.csv")
    assert e.value.source == str(tmp_path / "l.csv") and e.value.field == "tract_lengths"


def test_mrtrix_lut_missing_node(tmp_path):
    (tmp_path / "w.csv").write_text(txt(W, ","))
    (tmp_path / "l.csv").write_text(txt(L, ","))
    (tmp_path / "lut.txt").write_text("1 a\n2 b\n4 d\n")
    with pytest.raises(InputError) as e:
        read_mrtrix(tmp_path / "w.csv", lengths=tmp_path / "l.csv", labels=tmp_path / "lut.txt")
    assert e.value.source == str(tmp_path / "lut.txt") and "node 3" in e.value.problem


# ------------------------------------------------------------------------ HDF5


def test_h5_tvb_layout(tmp_path, quiet):
    """The datasets TVB's ConnectivityH5 writes: labels as fixed-size bytes, empty optionals."""
    path = tmp_path / "Connectivity_abc.h5"
    with h5py.File(path, "w") as f:
        f["weights"] = W
        f["tract_lengths"] = L
        f["centres"] = C
        f["region_labels"] = np.array(LABELS, dtype="S128")
        f["hemispheres"] = np.array([False, False, True, True])
        f["cortical"] = np.array([True, True, True, False])
        f["areas"] = np.zeros(0)
        f["orientations"] = np.zeros((0, 3))
        f.attrs["TVB_number_of_regions"] = 4
        f.attrs["TVB_undirected"] = 0
    c = bt.Connectome.load(path)
    assert c.labels == LABELS and c.cortical.tolist() == [True, True, True, False]
    assert c.areas is None and c.orientations is None and np.array_equal(c.weights, W)


def test_h5_in_a_group(tmp_path, quiet):
    path = tmp_path / "c.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("connectome")
        g["weights"], g["tract_lengths"] = W, L
        g["labels"] = np.array(LABELS, dtype=h5py.string_dtype())
    assert read_h5(path).labels == LABELS


def test_h5_missing_dataset(tmp_path):
    path = tmp_path / "c.h5"
    with h5py.File(path, "w") as f:
        f["weights"] = W
    with pytest.raises(InputError) as e:
        read_h5(path)
    assert e.value.source == str(path) and e.value.field == "tract_lengths"


def test_h5_not_hdf5(tmp_path):
    path = tmp_path / "c.h5"
    path.write_bytes(b"not hdf5 at all")
    with pytest.raises(InputError) as e:
        bt.Connectome.load(path)
    assert e.value.source == str(path) and "HDF5" in e.value.problem


def test_h5_non_numeric_weights(tmp_path):
    path = tmp_path / "c.h5"
    with h5py.File(path, "w") as f:
        f["weights"] = np.array([[b"a", b"b"], [b"c", b"d"]])
        f["tract_lengths"] = np.ones((2, 2))
    with pytest.raises(InputError) as e:
        read_h5(path)
    assert e.value.field == "weights"


# ------------------------------------------------------------------------- npz


def test_npz_missing_key(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, weights=W)
    with pytest.raises(InputError) as e:
        read_npz(path)
    assert e.value.source == str(path) and e.value.field == "tract_lengths"


def test_npz_refuses_pickles(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, weights=W, tract_lengths=L, labels=np.array(LABELS, dtype=object))
    with pytest.raises(InputError) as e:
        read_npz(path)
    assert e.value.source == str(path) and "npz" in str(e.value)


def test_npy_is_not_npz(tmp_path):
    path = tmp_path / "c.npz"
    with open(path, "wb") as f:
        np.save(f, W)
    with pytest.raises(InputError, match="not an .npz"):
        read_npz(path)


# -------------------------------------------------------------------- dispatch


def test_load_sniffs_unknown_extensions(tmp_path, quiet):
    c = full()
    for ext, writer in ((".zip", write_tvb_zip), (".h5", write_h5), (".npz", write_npz)):
        path = tmp_path / f"c{ext}.bin"
        writer(c, path)
        same(c, bt.Connectome.load(path))


def test_load_unknown_format(tmp_path):
    path = tmp_path / "c.mat"
    path.write_bytes(b"MATLAB 5.0")
    with pytest.raises(InputError) as e:
        bt.Connectome.load(path)
    assert e.value.source == str(path) and "unknown connectome format" in e.value.problem


def test_load_missing_path_mentions_builtins(tmp_path):
    with pytest.raises(InputError) as e:
        bt.Connectome.load("tvb77")
    assert e.value.source == "tvb77" and "tvb76" in e.value.problem
    with pytest.raises(InputError) as e:
        bt.Connectome.load(tmp_path / "nope.zip")
    assert "no such file" in e.value.problem


def test_load_option_that_does_not_apply(tmp_path):
    path = tiny().save(tmp_path / "c.zip")
    with pytest.raises(InputError) as e:
        bt.Connectome.load(path, lengths="x.csv")
    assert e.value.field == "options" and "lengths" in e.value.problem
    with pytest.raises(InputError):
        bt.Connectome.load("tvb76", warn=False)


def test_load_builtin_name_and_path_object(quiet):
    assert bt.Connectome.load("tvb68").n_regions == 68


# -------------------------------------------------------- malformed text files


def _mrtrix_error(tmp_path, text, **kwargs) -> InputError:
    path = tmp_path / "w.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputError) as e:
        read_mrtrix(path, warn=False, **kwargs)
    assert e.value.source == str(path) and e.value.field == "weights", str(e.value)
    return e.value


def test_error_empty_file(tmp_path):
    assert "empty" in _mrtrix_error(tmp_path, "").problem
    assert "empty" in _mrtrix_error(tmp_path, "\n  \n# only a comment\n").problem


def test_error_non_numeric(tmp_path):
    e = _mrtrix_error(tmp_path, "1 2 3\n4 abc 6\n7 8 9\n")
    assert e.problem == "line 2, column 2: non-numeric value 'abc'"


def test_error_comma_file_read_as_whitespace(tmp_path):
    e = _mrtrix_error(tmp_path, txt(W, ","), delimiter=" ")
    assert "expected 4 columns, found 1: wrong delimiter?" in e.problem


def test_error_mixed_delimiters(tmp_path):
    e = _mrtrix_error(tmp_path, "1 2 3\n4,5,6\n7 8 9\n")
    assert "line 2: expected 3 columns like line 1, found 1: wrong delimiter?" in e.problem


def test_error_decimal_commas(tmp_path):
    e = _mrtrix_error(tmp_path, "0,5 1,5\n1,5 0,5\n")
    assert "line 1" in e.problem and "wrong delimiter" in e.problem


def test_error_ragged(tmp_path):
    e = _mrtrix_error(tmp_path, "1 2 3\n4 5 6\n7 8\n")
    assert "line 3: expected 3 columns like line 1, found 2" in e.problem


def test_error_not_square(tmp_path):
    e = _mrtrix_error(tmp_path, "1 2 3\n4 5 6\n")
    assert "not square: 2 rows x 3 columns" in e.problem


def test_error_binary(tmp_path):
    assert "not a text file" in _mrtrix_error(tmp_path, b"\xff\xfe\x00\x81garbage").problem


def test_error_nan_in_file(tmp_path):
    e = _mrtrix_error(tmp_path, "0 nan\n1 0\n")
    assert "NaN" in e.problem


def test_error_negative_weight_in_file_names_labels(tmp_path):
    (tmp_path / "l.csv").write_text(txt(L, ","))
    w = W.copy()
    w[0, 1] = -1
    e = _mrtrix_error(tmp_path, txt(w, ","), lengths=tmp_path / "l.csv", labels=LABELS, symmetrize=False)
    assert "negative value -1 from 'lB' to 'lA'" in e.problem


def test_error_zero_length_in_file_names_pair(tmp_path):
    path = make_zip(tmp_path / "c.zip", tvb_entries(**{"tract_lengths.txt": txt(np.where(L == 40, 0, L))}))
    with pytest.raises(InputError) as e:
        read_tvb_zip(path)
    assert e.value.source == str(path) and e.value.field == "tract_lengths"
    assert "from 'rB' to 'rA'" in e.value.problem


def test_error_duplicate_labels_in_centres(tmp_path):
    path = make_zip(tmp_path / "c.zip", tvb_entries(**{"centres.txt": centres_txt(["a", "b", "a", "c"])}))
    with pytest.raises(InputError) as e:
        read_tvb_zip(path)
    assert e.value.source == str(path) and e.value.field == "labels" and "'a'" in e.value.problem


def test_error_in_zip_entry_names_the_entry(tmp_path):
    path = make_zip(tmp_path / "c.zip", tvb_entries(**{"weights.txt": "1 2\n3\n"}))
    with pytest.raises(InputError) as e:
        read_tvb_zip(path)
    assert e.value.source == f"{path}:weights.txt" and e.value.field == "weights" and "line 2" in e.value.problem


def test_error_centres_count(tmp_path):
    path = make_zip(tmp_path / "c.zip", tvb_entries(**{"centres.txt": centres_txt(LABELS[:3], C[:3])}))
    with pytest.raises(InputError) as e:
        read_tvb_zip(path)
    assert e.value.field == "centres" and "3 centres for 4 regions" in e.value.problem


def test_error_centres_short_line(tmp_path):
    path = make_zip(tmp_path / "c.zip", tvb_entries(**{"centres.txt": "a 1 2 3\nb 1 2\nc 1 2 3\nd 1 2 3\n"}))
    with pytest.raises(InputError) as e:
        read_tvb_zip(path)
    assert e.value.field == "centres" and "line 2: expected 'label x y z'" in e.value.problem


def test_error_vector_count(tmp_path):
    path = make_zip(tmp_path / "c.zip", tvb_entries(**{"cortical.txt": "1\n1\n"}))
    with pytest.raises(InputError) as e:
        read_tvb_zip(path)
    assert e.value.field == "cortical" and "expected 4 values" in e.value.problem
