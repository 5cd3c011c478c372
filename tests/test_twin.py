"""The twin file: round trip, integrity checks, atomic writes, privacy, Posterior."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

import braintwin as bt
from braintwin._io import sha256_file
from braintwin.errors import InputError
from braintwin.twin import Posterior, Twin, new_subject_id, read_twin, verify_twin, write_twin
from braintwin.twin import _file as twin_io  # the file format (moved out of io.py, which now only holds the public functions)

N = 6


def _connectome() -> bt.Connectome:
    rng = np.random.default_rng(1)
    w = rng.random((N, N))
    w = w + w.T
    np.fill_diagonal(w, 0.0)
    lengths = 10.0 + 90.0 * rng.random((N, N))
    lengths = lengths + lengths.T
    labels = [f"r{i}" for i in range(N // 2)] + [f"l{i}" for i in range(N // 2)]
    centres = rng.normal(size=(N, 3)) * 30.0
    return bt.Connectome(
        w, lengths, labels, centres,
        hemispheres=[True] * (N // 2) + [False] * (N // 2),
        cortical=[True, False] * (N // 2),
        areas=rng.random(N) * 100.0,
        orientations=rng.normal(size=(N, 3)),
        warn=False,
    )


def _posterior() -> Posterior:
    rng = np.random.default_rng(2)
    return Posterior.from_chains(
        {
            "x0": rng.normal(-2.5, 0.3, (4, 50, N)),
            "K": rng.gamma(2.0, 1.0, (4, 50)).astype(np.float32),
            "sigma": rng.random((4, 50, 2, 3)),
        },
        method="nuts",
        diagnostics={"rhat": {"x0": 1.0 + rng.random(N) / 100, "K": np.float64(1.001)}, "divergences": 0, "ok": True,
                     "problems": [], "seconds": 12.5},
        labels={"x0": [f"r{i}" for i in range(N // 2)] + [f"l{i}" for i in range(N // 2)], "sigma": [None, ["a", "b", "c"]]},
        info={"num_warmup": 500, "target_accept": 0.9},
    )


def _twin(tmp_path: Path) -> Twin:
    rng = np.random.default_rng(3)
    conn = _connectome()
    recording = tmp_path / "inputs" / "sub-001_seizure1.npy"
    recording.parent.mkdir()
    np.save(recording, rng.random(100))
    twin = Twin(
        "sub-001",
        conn,
        bt.models.Epileptor2D(x0=np.linspace(-3.0, -1.5, N), tt=0.05),
        bt.models.Difference(a=0.7),
        simulation={"dt": 0.05, "speed": 3.0, "method": "heun", "duration": 4000.0, "noise": (0.0, 1e-3),
                    "monitors": ["tavg:1.0"], "x_init": rng.normal(size=(2, N))},
        observation={"kind": "seeg", "gain": rng.random((8, N)), "contacts": [f"A{i}" for i in range(1, 9)],
                     "tr_ms": 2000.0, "noise": {"std": np.full(8, 0.1)}},
        data={"seeg_envelope": rng.random((300, 8)), "time_ms": np.arange(300.0), "onset_ms": np.int64(1200),
              "mask": rng.random(8) > 0.5, "seizures": {"s1": rng.random((20, 8)).astype(np.float32)}},
        posterior=_posterior(),
        metadata={"age_years": 34, "sex": "F", "diagnosis_code": "G40.1", "site": "MRS", "atlas": "desikan-killiany"},
        config={"fit": {"chains": 4, "warmup": 500}, "prior": {"x0_mean": -2.5}},
        seeds={"simulation": 1, "nuts": 7},
    )
    twin.record_input(recording)
    twin.add_update("posterior: nuts, 4 chains", config={"chains": 4}, seeds=7, inputs=[recording])
    return twin


@pytest.fixture
def saved(tmp_path):
    twin = _twin(tmp_path)
    path = twin.save(tmp_path / "sub-001.twin.h5")
    return twin, path


def _same_array(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def _flip(path: Path, offset: int, bit: int = 0) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ (1 << bit)]))


# ----------------------------------------------------------------- round trip
def test_round_trip_preserves_every_array(saved):
    twin, path = saved
    back = Twin.load(path)
    c0, c1 = twin.connectome, back.connectome
    for name in ("weights", "tract_lengths", "centres", "hemispheres", "cortical", "areas", "orientations"):
        assert _same_array(getattr(c0, name), getattr(c1, name)), name
    assert c1.labels == c0.labels
    assert back.subject_id == "sub-001"
    assert type(back.model) is bt.models.Epileptor2D
    for k, v in twin.model.values.items():
        assert np.ndim(back.model.values[k]) == np.ndim(v), k
        assert np.array_equal(back.model.values[k], v), k
    assert back.model.values["tt"] == 0.05
    assert type(back.coupling) is bt.models.Difference and back.coupling.values == {"a": 0.7}
    assert _same_array(back.observation["gain"], twin.observation["gain"])
    assert back.observation["contacts"] == [f"A{i}" for i in range(1, 9)]
    assert back.observation["tr_ms"] == 2000.0
    assert _same_array(back.observation["noise"]["std"], np.full(8, 0.1))
    assert back.simulation["noise"] == [0.0, 1e-3] and back.simulation["method"] == "heun"
    assert _same_array(back.simulation["x_init"], twin.simulation["x_init"])
    for k in ("seeg_envelope", "time_ms", "onset_ms", "mask"):
        assert _same_array(back.data[k], twin.data[k]), k
    assert back.data["mask"].dtype == bool
    assert _same_array(back.data["seizures"]["s1"], twin.data["seizures"]["s1"])
    assert back.metadata == {"age_years": 34, "sex": "F", "diagnosis_code": "G40.1", "site": "MRS", "atlas": "desikan-killiany"}
    p0, p1 = twin.posterior, back.posterior
    assert p1.method == "nuts" and p1.n_chains == 4 and p1.n_draws == 200
    assert list(p1.samples) == ["x0", "K", "sigma"]  # order kept
    for k in p0.samples:
        assert _same_array(p1.samples[k], p0.samples[k]), k
    assert p1.samples["K"].dtype == np.float32
    assert _same_array(p1.diagnostics["rhat"]["x0"], p0.diagnostics["rhat"]["x0"])
    assert _same_array(p1.diagnostics["rhat"]["K"], np.asarray(1.001))
    assert p1.diagnostics["divergences"] == 0 and p1.diagnostics["ok"] is True and p1.diagnostics["problems"] == []
    assert p1.labels == p0.labels and p1.info == {"num_warmup": 500, "target_accept": 0.9}
    assert back.equals(twin)
    assert back.source == str(path)


def test_round_trip_preserves_provenance(saved):
    twin, path = saved
    back = read_twin(path)
    prov = back.provenance
    assert prov == twin.provenance  # saved_utc was set on the twin by save
    assert prov["software"]["braintwin"] == bt.__version__
    for dep in ("python", "numpy", "scipy", "numba", "h5py"):
        assert prov["software"][dep], dep
    assert prov["software"]["numpy"] == np.__version__
    assert prov["software"]["h5py"] == h5py.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", prov["created_utc"])
    assert prov["saved_utc"] >= prov["created_utc"]
    assert prov["config"] == {"fit": {"chains": 4, "warmup": 500}, "prior": {"x0_mean": -2.5}}
    assert prov["seeds"] == {"simulation": 1, "nuts": 7}
    digest = sha256_file(path.parent / "inputs" / "sub-001_seizure1.npy")
    assert prov["inputs"] == {"sub-001_seizure1.npy": digest}  # the name only, never the folder
    (update,) = back.history
    assert update["what"] == "posterior: nuts, 4 chains"
    assert update["config"] == {"chains": 4} and update["seeds"] == 7
    assert update["input_sha256"] == {"sub-001_seizure1.npy": digest}
    assert update["time_utc"] >= prov["created_utc"]
    assert update["software"]["braintwin"] == bt.__version__
    with h5py.File(path, "r") as f:
        assert f.attrs["kind"] == "braintwin.twin"
        assert f.attrs["braintwin_version"] == bt.__version__
        assert f.attrs["saved_utc"] == prov["saved_utc"]


def test_round_trip_minimal_twin(tmp_path):
    c = _connectome()
    conn = bt.Connectome(c.weights, c.tract_lengths, warn=False)  # no labels, centres, areas, orientations
    twin = Twin(new_subject_id(), conn, bt.models.MontbrioPazoRoxin())
    assert twin.coupling.name == "Linear"  # the model's default
    path = write_twin(tmp_path / "t.h5", twin)
    back = read_twin(path)
    assert back.posterior is None and back.data == {} and back.observation == {} and back.metadata == {}
    assert back.history == [] and back.provenance["inputs"] == {}
    assert back.equals(twin)
    assert back.connectome.areas is None and back.connectome.orientations is None
    assert back.connectome.labels == conn.labels and _same_array(back.connectome.centres, np.zeros((N, 3)))


def test_saving_twice_keeps_history_and_replaces_posterior(saved, tmp_path):
    twin, path = saved
    back = read_twin(path)
    rng = np.random.default_rng(9)
    npe = Posterior({"x0": rng.normal(size=(1000, N))}, method="npe", diagnostics={"coverage_90": 0.91})
    back.set_posterior(npe, config={"simulations": 10000}, seeds=11)
    back.save(path)
    again = read_twin(path)
    assert again.posterior.method == "npe" and again.posterior.n_draws == 1000
    assert _same_array(again.posterior["x0"], npe["x0"])
    assert [u["what"] for u in again.history] == ["posterior: nuts, 4 chains", "posterior: npe, 1000 draws"]
    assert again.created_utc == twin.created_utc
    assert again.provenance["saved_utc"] >= twin.provenance["saved_utc"]


# ------------------------------------------------------------------ integrity
def test_flipped_byte_in_data_is_refused(saved):
    _, path = saved
    with h5py.File(path, "r") as f:
        ds = f["data/seeg_envelope"]
        offset = ds.id.get_offset() + ds.id.get_storage_size() // 2
    _flip(path, offset)
    with pytest.raises(InputError) as e:
        read_twin(path)
    assert e.value.field == "checksum" and e.value.source == str(path)
    assert "checksum mismatch" in str(e.value)
    with pytest.raises(InputError):
        verify_twin(path)


def test_verify_false_salvages_a_damaged_file(saved):
    twin, path = saved
    with h5py.File(path, "r") as f:
        offset = f["data/time_ms"].id.get_offset()
    _flip(path, offset)  # the lowest byte of time_ms[0] = 0.0
    with pytest.raises(InputError):
        read_twin(path)
    salvaged = read_twin(path, verify=False)
    assert salvaged.data["time_ms"][0] != 0.0
    assert _same_array(salvaged.data["time_ms"][1:], twin.data["time_ms"][1:])


def test_flipped_data_byte_caught_by_content_checksum_after_reseal(saved):
    # a tool that rewrote the file (fresh header) but changed a value is still caught
    _, path = saved
    with h5py.File(path, "r") as f:
        ds = f["posterior/samples/x0"]
        offset = ds.id.get_offset() + 123
    _flip(path, offset)
    twin_io._seal(path)
    with pytest.raises(InputError) as e:
        read_twin(path)
    assert e.value.field == "checksum" and "content checksum mismatch" in str(e.value)


def test_flipped_byte_in_attributes_is_refused(saved):
    _, path = saved
    raw = path.read_bytes()
    for needle in (b'"desikan-killiany"', b"created_utc", b"posterior: nuts, 4 chains"):
        pos = raw.find(needle)
        assert pos > 512, needle
        copy = path.with_name("copy.h5")
        copy.write_bytes(raw)
        _flip(copy, pos + 3)
        with pytest.raises(InputError) as e:
            read_twin(copy)
        assert e.value.field == "checksum" and e.value.source == str(copy)
        twin_io._seal(copy)  # fresh header: HDF5 or the content checksum must still refuse it
        with pytest.raises(InputError) as e:
            read_twin(copy)
        assert e.value.field in ("checksum", "file", "kind")


def test_flipped_byte_anywhere_is_refused(saved):
    _, path = saved
    raw = path.read_bytes()
    positions = sorted({0, 20, 100, 511, 512, 520, len(raw) // 2, len(raw) - 1, *range(0, len(raw), max(1, len(raw) // 150))})
    copy = path.with_name("copy.h5")
    for pos in positions:
        copy.write_bytes(raw)
        _flip(copy, pos, bit=pos % 8)
        with pytest.raises(InputError) as e:
            read_twin(copy)
        assert e.value.field in ("checksum", "file", "kind"), (pos, e.value)
        assert str(copy) in str(e.value)


@pytest.mark.parametrize("bit", [0, 1, 7])
def test_flipped_byte_in_header_is_refused(saved, bit):
    # every byte of the 512-byte header: magic, format, file checksum, size, padding
    _, path = saved
    raw = path.read_bytes()
    copy = path.with_name("copy.h5")
    for pos in range(512):
        copy.write_bytes(raw)
        _flip(copy, pos, bit)
        with pytest.raises(InputError) as e:
            read_twin(copy)
        assert e.value.field in ("checksum", "file", "kind", "format_version"), (pos, e.value)


@pytest.mark.parametrize("keep", [0, 10, 511, 513, 4096, "half", "minus1"])
def test_truncated_file_is_refused(saved, keep):
    _, path = saved
    size = path.stat().st_size
    n = {"half": size // 2, "minus1": size - 1}.get(keep, keep)
    with open(path, "r+b") as fh:
        fh.truncate(n)
    with pytest.raises(InputError) as e:
        read_twin(path)
    assert e.value.field in ("file", "kind") and e.value.source == str(path)
    if n >= 512:
        assert "truncated" in str(e.value)


def test_not_a_twin_hdf5_is_refused(tmp_path):
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f.create_dataset("x", data=np.arange(3))
    with pytest.raises(InputError) as e:
        read_twin(plain)
    assert e.value.field == "kind" and "not a braintwin twin file" in str(e.value)
    # an HDF5 file with a user block and a twin-like header but another kind
    other = tmp_path / "other.h5"
    with h5py.File(other, "w", userblock_size=512) as f:
        f.attrs["kind"] = "braintwin.simulation"
    twin_io._seal(other)
    with pytest.raises(InputError) as e:
        read_twin(other)
    assert e.value.field == "kind"
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 200)
    with pytest.raises(InputError) as e:
        read_twin(text)
    assert e.value.field == "file"
    with pytest.raises(InputError) as e:
        read_twin(tmp_path / "missing.h5")
    assert e.value.field == "file" and "not found" in str(e.value)


def test_verify_twin_reports(saved):
    twin, path = saved
    out = verify_twin(path)
    assert out["ok"] is True and out["subject_id"] == "sub-001" and out["format_version"] == 1
    with h5py.File(path, "r") as f:
        assert f.attrs["content_sha256"] == out["content_sha256"]
        assert f.userblock_size == 512


def test_content_checksum_ignores_layout_but_not_values(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    with h5py.File(a, "w") as f:
        f.create_dataset("x", data=np.arange(4.0))
        f.attrs["k"] = "v"
    with h5py.File(b, "w", libver="latest") as f:
        f.attrs["k"] = "v"
        f.create_dataset("x", data=np.arange(4.0), chunks=(2,))
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        assert twin_io.content_checksum(fa) == twin_io.content_checksum(fb)
    with h5py.File(b, "r+") as f:
        f["x"][1] = 1.0000000001
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        assert twin_io.content_checksum(fa) != twin_io.content_checksum(fb)


# --------------------------------------------------------------------- atomic
def test_failed_save_leaves_old_file_intact(saved, monkeypatch):
    twin, path = saved
    before = path.read_bytes()
    changed = read_twin(path)
    changed.data["seeg_envelope"] = np.zeros((300, 8))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(twin_io, "_write_provenance", boom)
    with pytest.raises(RuntimeError, match="simulated"):
        changed.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if p.is_file()) == [path.name]
    assert read_twin(path).equals(twin)


def test_refused_twin_is_not_written(tmp_path):
    twin = Twin("sub-002", _connectome(), bt.models.MontbrioPazoRoxin())
    twin.metadata["patient_name"] = "John Smith"  # slipped in after construction
    with pytest.raises(InputError) as e:
        twin.save(tmp_path / "t.h5")
    assert e.value.field == "metadata.patient_name"
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------- privacy
@pytest.mark.parametrize(
    "sid",
    ["John Smith", "John_Smith", "Smith-John", "JohnSmith", "SMITH.John", "1985-03-12", "12/03/1985", "12.03.85",
     "19850312", "P-1985-03-12", "12mar1985", "john.smith@example.org", "x" * 65, "", "sub 001", "-sub", 17],
)
def test_identifying_subject_id_is_refused(sid):
    with pytest.raises(InputError) as e:
        Twin(sid, _connectome(), bt.models.MontbrioPazoRoxin())
    assert e.value.field == "subject_id"


@pytest.mark.parametrize("sid", ["sub-001", "P17", "twin-3f9a", "sub-01_ses-02", "VEP.042", "x" * 64])
def test_pseudonymous_subject_id_is_accepted(sid):
    assert Twin(sid, _connectome(), bt.models.MontbrioPazoRoxin()).subject_id == sid


def test_new_subject_id_is_a_fresh_accepted_pseudonym():
    ids = {new_subject_id() for _ in range(200)}
    assert len(ids) == 200
    for sid in list(ids)[:20]:
        assert re.fullmatch(r"twin-[0-9a-f]{8}", sid)
        assert Twin(sid, _connectome(), bt.models.MontbrioPazoRoxin()).subject_id == sid
    assert new_subject_id("sub").startswith("sub-")
    with pytest.raises(InputError):
        new_subject_id("John Smith")


@pytest.mark.parametrize(
    "key",
    ["name", "first_name", "last_name", "patient_name", "Patient Name", "birth_date", "dob", "date_of_birth", "address",
     "phone", "email", "notes", "comment", "description", "free_text", "mrn", "mother_name", "contact-email"],
)
def test_identifying_metadata_keys_are_refused(key):
    with pytest.raises(InputError) as e:
        Twin("sub-001", _connectome(), bt.models.MontbrioPazoRoxin(), metadata={key: "x"})
    assert e.value.field == f"metadata.{key}"
    assert "identifier" in str(e.value)


@pytest.mark.parametrize(
    "key, value",
    [
        ("site", "John Smith"),
        ("group", "Smith, John"),
        ("site", "1985-03-12"),
        ("cohort", "03/12/1985"),
        ("site", "March 12, 1985"),
        ("site", "j.smith@example.org"),
        ("site", "+33 6 12 34 56 78"),
        ("site", "+33612345678"),
        ("diagnosis_code", "patient reports seizures since childhood, worse at night"),
        ("site", "line one\nline two"),
        ("age_years", "1985-03-12"),
        ("age_years", 34.5),
        ("age_years", 200),
        ("age_years", True),
        ("sex", "John"),
        ("favourite_colour", "blue"),
    ],
)
def test_identifying_metadata_values_are_refused(key, value):
    with pytest.raises(InputError) as e:
        Twin("sub-001", _connectome(), bt.models.MontbrioPazoRoxin(), metadata={key: value})
    assert e.value.field == f"metadata.{key}"
    expected = {"John Smith": "name", "Smith, John": "name", "1985-03-12": "date", "03/12/1985": "date",
                "March 12, 1985": "date", "j.smith@example.org": "e-mail", "+33612345678": "phone"}
    if key != "age_years" and value in expected:
        assert expected[value] in str(e.value)


def test_allowed_metadata_is_accepted():
    md = {"age_years": 61.0, "sex": "male", "handedness": "R", "diagnosis_code": "G40.209", "site": "site-03",
          "atlas": "vep", "group": "patient", "modality": "seeg", "field_strength_t": 3, "consent": "v2.1"}
    twin = Twin("sub-001", _connectome(), bt.models.MontbrioPazoRoxin(), metadata=md)
    assert twin.metadata["age_years"] == 61 and isinstance(twin.metadata["age_years"], int)
    assert twin.metadata["field_strength_t"] == 3.0


# ------------------------------------------------------------------ validation
def test_parts_are_validated():
    conn = _connectome()
    with pytest.raises(InputError) as e:
        Twin("sub-001", conn, bt.models.Epileptor2D(x0=np.zeros(N + 1)))
    assert e.value.field == "x0"
    with pytest.raises(InputError) as e:
        Twin("sub-001", conn, bt.models.MontbrioPazoRoxin(), observation={"gain": np.ones((3, N + 2))})
    assert e.value.field == "observation.gain"
    with pytest.raises(InputError) as e:
        Twin("sub-001", conn, bt.models.MontbrioPazoRoxin(), observation={"gain": np.ones((3, N)), "contacts": ["a"]})
    assert e.value.field == "observation.contacts"
    with pytest.raises(InputError) as e:
        Twin("sub-001", conn, bt.models.MontbrioPazoRoxin(), data={"bad/key": np.ones(3)})
    assert e.value.field == "data"
    with pytest.raises(InputError) as e:
        Twin("sub-001", conn, bt.models.MontbrioPazoRoxin(), data={"x": np.array([object()])})
    assert e.value.field == "data.x"
    with pytest.raises(InputError) as e:
        Twin("sub-001", conn, "MontbrioPazoRoxin")
    assert e.value.field == "model"
    twin = Twin("sub-001", conn, bt.models.MontbrioPazoRoxin())
    with pytest.raises(InputError) as e:
        twin.posterior = {"x0": np.ones((10, N))}
    assert e.value.field == "posterior"
    with pytest.raises(InputError):
        twin.add_update("")


def test_build_from_names_and_files_records_inputs(tmp_path):
    conn_file = _connectome().save(tmp_path / "subjects" / "conn.npz")
    lead = tmp_path / "gain.npy"
    np.save(lead, np.ones((4, N)))
    twin = Twin.build(conn_file, "Epileptor2D", model_params={"x0": np.full(N, -2.2)}, coupling="Difference",
                      coupling_params={"G": 0.3}, inputs={"gain": lead}, seeds=5)
    assert re.fullmatch(r"twin-[0-9a-f]{8}", twin.subject_id)
    assert twin.coupling.values["a"] == 0.3
    assert twin.provenance["inputs"] == {"conn.npz": sha256_file(conn_file), "gain": sha256_file(lead)}
    assert twin.provenance["seeds"] == 5
    other = tmp_path / "other" / "conn.npz"
    other.parent.mkdir()
    other.write_bytes(b"different bytes")
    with pytest.raises(InputError) as e:
        twin.record_input(other)
    assert e.value.field == "provenance.inputs"
    assert twin.record_input(other, name="conn_v2.npz") == sha256_file(other)
    assert Twin.build("tvb76", bt.models.MontbrioPazoRoxin(), subject_id="P17").n_regions == 76


def test_info_and_text(saved):
    twin, path = saved
    info = read_twin(path).info()
    json.dumps(info)  # JSON-ready
    assert info["subject_id"] == "sub-001" and info["connectome"]["n_regions"] == N
    assert info["model"]["name"] == "Epileptor2D" and info["model"]["parameters"]["x0"]["per_region"] is True
    assert info["posterior"]["method"] == "nuts" and info["posterior"]["parameters"]["x0"] == [N]
    assert info["data"]["seeg_envelope"] == {"shape": [300, 8], "dtype": "float64"}
    assert info["n_updates"] == 1 and info["inputs"] == twin.provenance["inputs"]
    text = twin.summary_text()
    assert "sub-001" in text and "Epileptor2D" in text and "nuts, 200 draws, 4 chain(s)" in text
    assert "sub-001" in repr(twin) and "nuts" in repr(twin)


# ------------------------------------------------------------------ posterior
def test_posterior_summaries_and_draws():
    p = _posterior()
    assert p.n_draws == 200 and p.n_chains == 4 and p.parameter_names == ("x0", "K", "sigma")
    assert p.shapes == {"x0": (N,), "K": (), "sigma": (2, 3)}
    assert np.allclose(p.mean("x0"), p["x0"].mean(axis=0))
    assert np.allclose(p.std()["K"], p["K"].astype(float).std())
    q = p.quantiles([0.05, 0.5, 0.95])
    assert q["x0"].shape == (3, N) and q["sigma"].shape == (3, 2, 3)
    assert np.all(q["x0"][0] <= q["x0"][2])
    assert p.quantiles(0.5, "K").shape == ()
    d1, d2 = p.draw(10, seed=4), p.draw(10, seed=4)
    assert d1["x0"].shape == (10, N) and _same_array(d1["x0"], d2["x0"])
    # draws stay paired across parameters
    rows = [int(np.flatnonzero((p["x0"] == r).all(axis=1))[0]) for r in d1["x0"]]
    assert _same_array(d1["K"], p["K"][rows])
    assert len(set(rows)) == 10
    assert p.draw(500, seed=1, replace=True)["K"].shape == (500,)
    with pytest.raises(InputError):
        p.draw(500)
    assert _same_array(p.chains("x0")[1], p["x0"][50:100])
    with pytest.raises(InputError):
        p["missing"]


def test_posterior_validation():
    with pytest.raises(InputError):
        Posterior({})
    with pytest.raises(InputError) as e:
        Posterior({"a": np.ones(10), "b": np.ones(11)})
    assert e.value.field == "posterior.samples.b"
    with pytest.raises(InputError) as e:
        Posterior({"a": np.array([1.0, np.nan])})
    assert "non-finite" in str(e.value)
    with pytest.raises(InputError):
        Posterior({"a": np.ones((10, 3))}, labels={"a": ["x", "y"]})
    with pytest.raises(InputError):
        Posterior({"a": np.ones(10)}, n_chains=3)
    with pytest.raises(InputError):
        Posterior({"a": np.ones(10)}, labels={"b": ["x"]})
    p = Posterior({"a": np.ones(10)})
    with pytest.raises(ValueError):
        p["a"][0] = 2.0  # draws are read-only


def test_posterior_from_nuts_duck_typed():
    rng = np.random.default_rng(5)
    diag = SimpleNamespace(
        rhat={"x0": np.full(N, 1.002), "K": np.float64(1.0)}, ess={"x0": np.full(N, 800.0), "K": np.float64(900.0)},
        to_dict=lambda: {"ok": True, "divergences": 0, "max_rhat": {"x0": 1.002}},
    )
    result = SimpleNamespace(
        samples={"x0": rng.normal(size=(2, 30, N)), "K": rng.random((2, 30)), "obs_hat": rng.random((2, 30, 5))},
        diagnostics=diag, settings={"num_warmup": 100}, timings={"sampling": 1.5}, chain_method="vectorized",
    )
    p = Posterior.from_nuts(result, params=["x0", "K"], labels={"x0": [f"r{i}" for i in range(N)]})
    assert p.method == "nuts" and p.n_chains == 2 and p.n_draws == 60
    assert list(p.samples) == ["x0", "K"]
    assert _same_array(p.chains("x0"), result.samples["x0"])
    assert p.diagnostics["ok"] is True and _same_array(p.diagnostics["ess"]["x0"], np.full(N, 800.0))
    assert p.info == {"settings": {"num_warmup": 100}, "timings": {"sampling": 1.5}, "chain_method": "vectorized"}


def test_configuration_paths_keep_only_file_names(tmp_path):
    """Folder names often carry a patient's name: a twin's config and update records keep file names only."""
    from braintwin.twin.provenance import without_folders

    cfg = {"seeg": "/data/Smith_John/sz1.edf", "gain": r"C:\pat\Doe_J\gain.npy", "tau0": 90.0,
           "scheduler": "tcp://10.0.0.1:8786", "monitors": ["bold:tr=720", "/home/jd/x.tsv"], "opts": {"lut": "a/b/lut.txt"}}
    assert without_folders(cfg) == {"seeg": "sz1.edf", "gain": "gain.npy", "tau0": 90.0, "scheduler": "tcp://10.0.0.1:8786",
                                    "monitors": ["bold:tr=720", "x.tsv"], "opts": {"lut": "lut.txt"}}
    twin = Twin.build(_connectome(), "Epileptor2D", config=cfg, seeds=1)
    twin.add_update("posterior: test", config={"bold": "/data/Smith_John/rest.tsv"})
    twin.save(tmp_path / "t.h5")
    text = json.dumps(Twin.load(tmp_path / "t.h5").provenance)
    assert "Smith_John" not in text and "Doe_J" not in text and "sz1.edf" in text and "rest.tsv" in text
