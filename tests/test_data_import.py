"""A person's own data in (issue 16): recordings, electrodes, parcellation gain, BOLD, tractography, guards, privacy.

Fixtures are real files built in code: EDF and BrainVision written by MNE's own
exporters (``mne.export``, with edfio and pybv), and by the small writers in
``_formats.py`` where a test needs header fields the exporters do not write (EDF+
patient/recording lines, a BrainVision comment naming the patient); FIF with MNE,
BIDS with mne-bids, NIfTI and ``.tck`` with nibabel.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings

import numpy as np
import pytest

mne = pytest.importorskip("mne")
mne_bids = pytest.importorskip("mne_bids")
nib = pytest.importorskip("nibabel")

from _formats import write_brainvision, write_edf  # noqa: E402

from braintwin._io import sha256_file  # noqa: E402
from braintwin.connectome import connectome_from_tractography, count_streamlines, match_labels, read_lut, read_parcellation  # noqa: E402
from braintwin.errors import BraintwinWarning, InputError  # noqa: E402
from braintwin.observe import (match_channels, read_bold, read_electrodes, read_recording,  # noqa: E402
                               seeg_gain_from_parcellation)
from braintwin.observe.sensors import Sensors  # noqa: E402

LABELS = ["A1", "A2", "A3", "B1", "B2"]
FS = 256
IDENTIFIERS = ("John", "Smith", "1980", "DrWho", "SN123")


def _signals(seconds=8, seed=0):
    return np.random.default_rng(seed).normal(size=(len(LABELS), FS * seconds)) * 1e-4


@pytest.fixture
def edf(tmp_path):
    p = tmp_path / "rec.edf"
    write_edf(p, _signals(), FS, LABELS, patient="X123 M 04-MAR-1980 John_Smith",
              recording="Startdate 02-JAN-2020 X DrWho SN123", annotations=[(2.0, 0, "seizure onset"), (5.0, 0, "seizure offset"),
                                                                           (6.0, 0, "call John Smith")])
    return p


def test_edf_drops_identifiers_and_keeps_signals(edf):
    before = sha256_file(edf)
    rec = read_recording(edf, kind="seeg")
    assert sha256_file(edf) == before  # the original file is never modified
    assert rec.ch_types == ("seeg",) * 5 and rec.fs_hz == FS and rec.duration_s == 8
    # 16-bit EDF over +-3276.8 uV: quantisation 0.1 uV
    assert np.abs(rec.data.T - _signals()).max() < 1e-7
    assert {"subject_info.first_name", "subject_info.last_name", "subject_info.birthday", "meas_date"} <= set(rec.dropped)
    assert {"annotations[2].description", "edf.patient_identification", "edf.recording_identification"} <= set(rec.dropped)
    text = json.dumps(rec.summary())
    assert not any(s in text for s in IDENTIFIERS) and rec.meas_date is None
    assert rec.annotation_onset("Seizure_Onset") == 2.0


def test_truncated_edf_is_an_error(edf, tmp_path):
    cut = tmp_path / "cut.edf"
    cut.write_bytes(edf.read_bytes()[: edf.stat().st_size // 2])
    with pytest.raises(InputError, match="truncated") as e:
        read_recording(cut)
    assert str(cut) in str(e.value)


def test_brainvision_values_and_markers(tmp_path):
    p = tmp_path / "rec.vhdr"
    write_brainvision(p, _signals(4), FS, LABELS, markers=[(1.0, "onset"), (3.0, "offset")])
    rec = read_recording(p, kind="seeg")
    assert np.allclose(rec.data.T, _signals(4), atol=1e-9)  # float32 in uV
    assert [a[0] for a in rec.annotations] == [1.0, 3.0] and "vhdr.comment" in rec.dropped  # "Patient: John Smith"


def test_fif_keep_meas_date_on_purpose(tmp_path):
    raw = mne.io.RawArray(_signals(4), mne.create_info(LABELS, FS, "seeg"), verbose=False)
    raw.set_meas_date(dt.datetime(2020, 1, 2, tzinfo=dt.timezone.utc))
    raw.info["subject_info"] = {"first_name": "John", "last_name": "Smith", "birthday": dt.date(1980, 3, 4), "sex": 1}
    raw.info["experimenter"] = "DrWho"
    p = tmp_path / "rec_raw.fif"
    raw.save(p, verbose=False)
    rec = read_recording(p)
    assert {"experimenter", "subject_info.first_name", "meas_date"} <= set(rec.dropped) and rec.sex is None
    kept = read_recording(p, keep=("meas_date",))
    assert kept.meas_date.startswith("2020-01-02") and "meas_date" not in kept.dropped
    with pytest.raises(InputError, match="keep"):
        read_recording(p, keep=("first_name",))


def test_window_bipolar_and_guards(edf):
    rec = read_recording(edf, kind="seeg")
    w = rec.window(annotation="seizure onset", end_annotation="seizure offset", baseline=1.5)
    assert w.n_times == int(4.5 * FS) and w.baseline == (0.0, 1.5) and w.t0_s == 0.5
    b = w.bipolar()
    assert b.labels == ("A1-A2", "A2-A3", "B1-B2")
    assert np.array_equal(b.data[:, 0], w.data[:, 0] - w.data[:, 1])
    assert np.array_equal(w.bipolar(["B2-A1"]).data[:, 0], w.data[:, 4] - w.data[:, 0])
    assert rec.window(onset=1.0, offset=3.0).n_times == 2 * FS and rec.window(onset=1.0, offset=3.0).baseline is None
    with pytest.raises(InputError, match="does not fit"):
        rec.window(onset=6.0, offset=20.0)
    with pytest.raises(InputError, match="no annotation"):
        rec.window(annotation="stimulation")
    with pytest.raises(InputError, match="sampled at 256 Hz"):
        rec.require_rate(1000, "HFO detection")


def test_flat_and_saturated_channels_are_flagged(tmp_path):
    x = _signals(4)
    x[1] = 0.0
    x[3] = np.clip(x[3], -1e-4, 1e-4)  # an amplifier clipping about a third of the samples
    p = tmp_path / "f.edf"
    write_edf(p, x, FS, LABELS)
    with pytest.warns(BraintwinWarning, match="flagged"):
        rec = read_recording(p)
    assert rec.flags["A2"] == "flat" and rec.flags["B1"].startswith("saturated")
    assert set(rec.bads) == {"A2", "B1"} and rec.good().labels == ("A1", "A3", "B2")


@pytest.fixture
def bids_root(edf, tmp_path):
    raw = mne.io.read_raw_edf(edf, verbose=False)
    raw.set_annotations(None)
    raw.set_channel_types({c: "seeg" for c in raw.ch_names})
    raw.info["bads"] = ["B2"]
    root = tmp_path / "bids"
    bp = mne_bids.BIDSPath(subject="01", session="01", task="seizure", run="01", datatype="ieeg", root=root, space="ACPC")
    pos = {"A1": [-0.030, 0.0, 0.0], "A2": [-0.026, 0.0, 0.0], "A3": [-0.022, 0.0, 0.0], "B1": [0.022, 0.0, 0.0], "B2": [0.026, 0.0, 0.0]}
    montage = mne.channels.make_dig_montage({k: np.array(v) for k, v in pos.items()}, coord_frame="mri")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mne_bids.write_raw_bids(raw, bp, events=np.array([[2 * FS, 0, 1], [5 * FS, 0, 2]]),
                                event_id={"seizure_onset": 1, "seizure_offset": 2}, montage=montage, overwrite=True, verbose=False)
    return root


def test_bids_ieeg_bads_events_and_electrodes(bids_root):
    rec = read_recording(bids_root, kind="seeg", subject="01", task="seizure")
    assert rec.bads == ("B2",)  # from channels.tsv
    assert [(a[0], a[2]) for a in rec.annotations] == [(2.0, "seizure_onset"), (5.0, "seizure_offset")]
    assert not any(s in json.dumps(rec.summary()) for s in IDENTIFIERS)
    with pytest.raises(InputError, match="no subject '02'.*it has: 01"):
        read_recording(bids_root, subject="02")
    with pytest.raises(InputError, match="no task 'rest'"):
        read_recording(bids_root, task="rest")
    tsv = next(bids_root.rglob("*_electrodes.tsv"))
    el = read_electrodes(tsv)  # coordsystem.json says metres
    assert np.allclose(el.positions[0], [-30.0, 0.0, 0.0])
    with pytest.raises(InputError, match="wrong units"):
        read_electrodes(tsv, units="mm")


def test_match_channels_one_report():
    contacts = Sensors(("A1", "A2", "C1"), np.zeros((3, 3)), None, "el.txt", "seeg")
    with pytest.warns(BraintwinWarning, match="unmatched channels: X9; contacts without a channel: C1"):
        m = match_channels(["EEG A01", "a2", "X9"], contacts)
    assert m.channels == ("EEG A01", "a2") and m.contacts.labels == ("A1", "A2")


def _parcellation(tmp_path, data, lut, affine=None):
    aff = np.eye(4) if affine is None else affine
    p = tmp_path / "parc.nii.gz"
    nib.save(nib.Nifti1Image(np.asarray(data, np.int16), aff), p)
    return read_parcellation(p, lut=lut)


def test_gain_two_voxels_one_contact_by_hand(tmp_path, monkeypatch):
    aff = np.eye(4)
    aff[:3, 3] = -5.0  # voxel (i, j, k) at (i-5, j-5, k-5) mm
    d = np.zeros((11, 11, 11))
    d[2, 5, 5], d[8, 5, 5] = 1, 2  # voxels at x = -3 and x = +3 mm
    parc = _parcellation(tmp_path, d, {1: "Left-A", 2: "Right-B"}, aff)
    contact = Sensors(("A1",), np.array([[1.0, 0.0, 0.0]]), None, "c.txt", "seeg")
    lf, rep = seeg_gain_from_parcellation(contact, parc)
    assert np.allclose(lf.gain, [[1 / 16, 1 / 4]])  # 1/d^2 at 4 mm and 2 mm
    lf2, _ = seeg_gain_from_parcellation(contact, parc, labels=["Right-B", "Left-A"])
    assert np.allclose(lf2.gain, [[1 / 4, 1 / 16]])
    with pytest.raises(InputError, match="no match: Hippocampus"):
        seeg_gain_from_parcellation(contact, parc, labels=["Right-B", "Hippocampus"])


def _brain(tmp_path):
    """A 40 mm cube of four regions: left/right cortex, left ventricle, right deep."""
    d = np.zeros((40, 40, 40))
    d[4:20, 4:36, 4:36] = 1
    d[20:36, 4:36, 4:36] = 2
    d[12:16, 18:22, 18:22] = 4
    aff = np.eye(4)
    aff[:3, 3] = -20.0  # x < 0 is the left half
    return _parcellation(tmp_path, d, {1: "ctx-lh-a", 2: "ctx-rh-a", 4: "Left-Lateral-Ventricle"}, aff)


def test_contacts_in_ventricles_outside_brain_and_flipped(tmp_path):
    parc = _brain(tmp_path)
    pos = np.array([[-10.0, 0, 0], [-6.0, 0, 0], [10.0, 0, 0], [12.0, 2, 0], [60.0, 0, 0]])
    contacts = Sensors(("L1", "L2", "R1", "R2", "R3"), pos, None, "c.txt", "seeg")
    with pytest.warns(BraintwinWarning, match="outside the brain: R3; in ventricles: L2"):
        _, rep = seeg_gain_from_parcellation(contacts, parc)
    assert rep.outside == ("R3",) and rep.ventricles == ("L2",)
    flipped = Sensors(contacts.labels[:4], pos[:4] * [-1, 1, 1], None, "c.txt", "seeg")
    with pytest.raises(InputError, match="left/right flipped"):
        seeg_gain_from_parcellation(flipped, parc)
    with pytest.raises(InputError, match="not in the parcellation's space"):
        seeg_gain_from_parcellation(Sensors(("A1", "A2"), pos[:2] + 100, None, "c.txt", "seeg"), parc)


def test_plain_electrodes_in_metres_refused(tmp_path):
    p = tmp_path / "contacts.txt"
    p.write_text("A1 0.01 0.02 0.03\nA2 0.012 0.02 0.03\n")
    with pytest.raises(InputError, match="wrong units") as e:
        read_electrodes(p)
    assert str(p) in str(e.value)
    assert np.allclose(read_electrodes(p, units="m").positions[0], [10, 20, 30])


def test_read_lut_freesurfer_mrtrix_and_dseg(tmp_path):
    fs = tmp_path / "FreeSurferColorLUT.txt"
    fs.write_text("#No. Label Name: R G B A\n0  Unknown 0 0 0 0\n17 Left-Hippocampus 220 216 20 0\n")
    mr = tmp_path / "fs_default.txt"
    mr.write_text("# index short long R G B A\n1 L.BSTS ctx-lh-bankssts 25 100 40 255\n")
    ds = tmp_path / "dseg.tsv"
    ds.write_text("index\tname\n3\tamygdala\n")
    assert read_lut(fs) == {0: "Unknown", 17: "Left-Hippocampus"}
    assert read_lut(mr) == {1: "ctx-lh-bankssts"} and read_lut(mr, name="short") == {1: "L.BSTS"}
    assert read_lut(ds) == {3: "amygdala"}


def test_bold_table_matched_by_name_and_mapping(tmp_path, capsys):
    p = tmp_path / "sub-01_task-rest_timeseries.tsv"
    p.write_text("lA\trA\tlB\n1\t2\t3\n4\t5\t6\n7\t8\t9\n")
    (tmp_path / "sub-01_task-rest_timeseries.json").write_text('{"RepetitionTime": 0.72}')
    b = read_bold(p, labels=["rA", "lA"])
    assert b.tr_s == 0.72 and b.labels == ("rA", "lA") and np.array_equal(b.data[:, 0], [2, 5, 8])
    with pytest.raises(InputError, match=r"2 of 2 connectome regions have no match: Right_A, Left_A; unmatched in the file: lA, rA, lB"):
        read_bold(p, labels=["Right_A", "Left_A"])
    m = tmp_path / "map.tsv"
    m.write_text("rA\tRight_A\nlA\tLeft_A\n")
    assert np.array_equal(read_bold(p, labels=["Right_A", "Left_A"], mapping=m).data[:, 1], [1, 4, 7])
    from braintwin.cli import main

    assert main(["data", "inspect", str(p), "--tr", "2.0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["bold"]
    assert (out["n_times"], out["tr_s"], out["regions"]) == (3, 2.0, ["lA", "rA", "lB"])


def test_bold_nifti_region_means_and_wrong_dimensions(tmp_path):
    parc = _parcellation(tmp_path, np.array([[[1, 1], [2, 0]], [[2, 2], [0, 1]]]), {1: "a", 2: "b"})
    img = np.arange(8 * 3, dtype=float).reshape(2, 2, 2, 3)
    hdr = nib.Nifti1Header()
    hdr.set_xyzt_units("mm", "msec")
    nii = nib.Nifti1Image(img, np.eye(4), hdr)
    nii.header.set_zooms((1, 1, 1, 2000.0))
    p = tmp_path / "bold.nii.gz"
    nib.save(nii, p)
    b = read_bold(p, parcellation=parc)
    m1 = img[parc.data == 1].mean(axis=0)
    m2 = img[parc.data == 2].mean(axis=0)
    assert b.tr_s == 2.0 and np.allclose(b.data, np.stack([m1, m2], axis=1))
    nib.save(nib.Nifti1Image(img[:, :1], np.eye(4)), tmp_path / "small.nii.gz")
    with pytest.raises(InputError, match="differs from the parcellation"):
        read_bold(tmp_path / "small.nii.gz", parcellation=parc)
    with pytest.raises(InputError, match="4-D"):
        read_bold(tmp_path / "parc.nii.gz", parcellation=parc)


def _tck(path, streamlines):
    nib.streamlines.save(nib.streamlines.Tractogram(streamlines, affine_to_rasmm=np.eye(4)), str(path))


def test_tractography_counts_lengths_and_streaming(tmp_path):
    aff = np.diag([2.0, 2.0, 2.0, 1.0])
    aff[:3, 3] = -10.0  # voxel i at x = 2i - 10 mm
    d = np.zeros((10, 10, 10))
    d[0:3], d[7:10], d[4:6, 0:2, 0:2] = 1, 2, 3
    parc = _parcellation(tmp_path, d, {1: "lA", 2: "rA", 3: "mid"}, aff)
    sl = [np.array([[-8.0, 0, 0], [0, 0, 0], [6, 0, 0]]),  # lA-rA, 14 mm
          np.array([[-8.0, 2, 2], [6, 2, 2]]),  # lA-rA, 14 mm
          np.array([[-8.0, 0, 0], [4, 0, 0]]),  # lA-rA, 12 mm
          np.array([[-9.0, 0, 0], [-7, 0, 0]]),  # both ends in lA
          np.array([[-8.0, 0, 0], [0.0, 0, 0]])]  # second end on background
    _tck(tmp_path / "t.tck", sl)
    tc = count_streamlines(tmp_path / "t.tck", parc, chunk=2)  # streamed 2 at a time
    assert tc.counts[0, 1] == tc.counts[1, 0] == 3 and tc.counts.sum() == 6
    assert np.isclose(tc.mean_lengths[0, 1], 40 / 3) and tc.n_self == 1 and tc.n_unassigned == 1
    conn = connectome_from_tractography(tmp_path / "t.tck", parc, normalize="length")
    assert conn.labels == ["lA", "rA", "mid"] and np.isclose(conn.weights[0, 1], 2 / 14 + 1 / 12)
    vol = connectome_from_tractography(tmp_path / "t.tck", parc, normalize="volume", labels=["rA", "lA"])
    v = parc.volumes_mm3()[:2]
    assert np.isclose(vol.weights[0, 1], 3 * 2 / v.sum()) and np.isclose(vol.tract_lengths[0, 1], 40 / 3)
    assert np.allclose(conn.centres[0], [-8.0, -1.0, -1.0])
    hdr = {nib.streamlines.Field.VOXEL_TO_RASMM: aff, nib.streamlines.Field.DIMENSIONS: (10, 10, 10),
           nib.streamlines.Field.VOXEL_SIZES: (2.0, 2.0, 2.0), nib.streamlines.Field.VOXEL_ORDER: "RAS"}
    nib.streamlines.save(nib.streamlines.Tractogram(sl, affine_to_rasmm=np.eye(4)), str(tmp_path / "t.trk"), header=hdr)
    assert np.array_equal(count_streamlines(tmp_path / "t.trk", parc).counts, tc.counts)  # TrackVis: same world mm


def test_tractography_in_the_wrong_space(tmp_path):
    parc = _parcellation(tmp_path, np.pad(np.ones((2, 2, 2)), 1) * [[[1]], [[2]], [[2]], [[1]]], {1: "a", 2: "b"})
    _tck(tmp_path / "far.tck", [np.array([[100.0, 0, 0], [120, 0, 0]])] * 3)
    with pytest.raises(InputError, match="not in the image's space") as e:
        count_streamlines(tmp_path / "far.tck", parc)
    assert "far.tck" in str(e.value) and e.value.field == "space"


def test_match_labels_case_insensitive():
    assert match_labels(["Left-A", "right-b"], ["RIGHT-B", "left-a"]).tolist() == [1, 0]


def test_cli_data_inspect_json_and_errors(edf, tmp_path, capsys):
    from braintwin.cli import main

    assert main(["data", "inspect", str(edf), "--kind", "seeg", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["recording"]["fs_hz"] == FS and "subject_info.last_name" in out["recording"]["dropped_identifiers"]
    cut = tmp_path / "cut.edf"
    cut.write_bytes(edf.read_bytes()[:1000])
    assert main(["data", "inspect", str(cut)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(cut) in err[0] and "truncated" in err[0]


def test_vep_read_seeg_takes_bids_and_window(bids_root):
    from braintwin.vep.io import envelope_from_recording, read_seeg

    rec = read_seeg(bids_root, recording_options={"kind": "seeg"}, window={"annotation": "seizure_onset", "offset": 2.0, "baseline": 1.0})
    assert rec.labels == ("A1", "A2", "A3", "B1") and rec.fs_hz == FS and rec.baseline_s == 1.0 and rec.data.shape[0] == 3 * FS
    y = envelope_from_recording(rec, n_times=0)
    assert np.isfinite(y).all() and y.shape[1] == 4


def test_gain_from_freesurfer_surface_by_hand(tmp_path):
    from braintwin.observe import seeg_gain_from_surface

    V = np.array([[-3.0, 0, 0], [-3.0, 1, 0], [3.0, 0, 0], [0, 0, 9.0]])
    nib.freesurfer.write_geometry(str(tmp_path / "lh.pial"), V, np.array([[0, 1, 2], [0, 2, 3]]))
    ctab = np.array([[0, 0, 0, 0, 0], [1, 2, 3, 0, 1], [4, 5, 6, 0, 2]])
    nib.freesurfer.write_annot(str(tmp_path / "lh.aparc.annot"), np.array([1, 1, 2, 0]), ctab, ["unknown", "a", "b"], fill_ctab=True)
    contact = Sensors(("A1",), np.array([[1.0, 0.0, 0.0]]), None, "c.txt", "seeg")
    lf = seeg_gain_from_surface(contact, [(tmp_path / "lh.pial", tmp_path / "lh.aparc.annot")], labels=["ctx-lh-b", "ctx-lh-a"])
    assert np.allclose(lf.gain, [[1 / 4, 1 / 16 + 1 / 17]])  # the 'unknown' vertex is left out


def test_cli_inspect_images_streamlines_and_mismatch(tmp_path, capsys):
    from braintwin.cli import main

    d = np.zeros((10, 10, 10))
    d[0:3], d[7:10] = 1, 2
    aff = np.diag([2.0, 2.0, 2.0, 1.0])
    aff[:3, 3] = -10.0
    nib.save(nib.Nifti1Image(d.astype(np.int16), aff), tmp_path / "parc.nii.gz")
    (tmp_path / "lut.txt").write_text("1 rA1 0 0 0 0\n2 lA1 0 0 0 0\n")
    _tck(tmp_path / "t.tck", [np.array([[-8.0, 0, 0], [6, 0, 0]])] * 4)
    assert main(["data", "inspect", str(tmp_path / "t.tck"), "--parcellation", str(tmp_path / "parc.nii.gz"), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)["streamlines"]
    assert (s["n_streamlines"], s["n_edges"], s["mean_length_mm"]) == (4, 1, 14.0)
    assert main(["data", "inspect", str(tmp_path / "parc.nii.gz"), "--lut", str(tmp_path / "lut.txt"), "--connectome", "tvb76"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "parc.nii.gz: parcellation: 74 of 76 connectome regions have no match" in err[0]
    img4 = tmp_path / "two.nii.gz"
    nib.save(nib.Nifti1Image(np.stack([d, d], axis=-1).astype(np.int16), aff), img4)
    with pytest.raises(InputError, match="expected a 3-D label image"):
        read_parcellation(img4)


def test_every_recording_format_reads_the_same_for_the_vep(tmp_path):
    from braintwin.vep.io import read_seeg

    x = _signals(4)
    write_edf(tmp_path / "r.edf", x, FS, LABELS)
    write_brainvision(tmp_path / "r.vhdr", x, FS, LABELS)
    mne.io.RawArray(x, mne.create_info(LABELS, FS, "seeg"), verbose=False).save(tmp_path / "r_raw.fif", verbose=False)
    recs = [read_seeg(tmp_path / n) for n in ("r.edf", "r.vhdr", "r_raw.fif")]
    for r in recs:
        assert r.labels == tuple(LABELS) and r.fs_hz == FS and np.allclose(r.data, x.T, atol=1e-7)
    with pytest.raises(InputError, match="unknown option"):
        read_seeg(tmp_path / "r.edf", window={"start": 1.0})


def test_plots_show_channels_window_and_contacts(edf, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    rec = read_recording(edf, kind="seeg").window(annotation="seizure onset", offset=2.0, baseline=1.0)
    ax = rec.plot(window=(1.0, 3.0))
    assert len(ax.lines) == 5 + 1 and [t.get_text() for t in ax.get_yticklabels()] == LABELS  # traces + the onset marker
    parc = _brain(tmp_path)
    ax2 = parc.plot(np.array([[-10.0, 0, 0], [10.0, 0, 0]]), ["A1", "B1"])
    assert [t.get_text() for t in ax2.texts] == ["A1", "B1"]


def test_envelope_refuses_a_low_sampling_rate(tmp_path):
    from braintwin.vep.io import envelope_from_recording, read_seeg

    write_edf(tmp_path / "slow.edf", _signals(8)[:, ::8], 32, LABELS)
    with pytest.raises(InputError, match="32 Hz, too low"):
        envelope_from_recording(read_seeg(tmp_path / "slow.edf"))


@pytest.mark.parametrize("name, side", [("Left-Hippocampus", "L"), ("ctx-rh-insula", "R"), ("lh.bankssts", "L"), ("lA1", "L"),
                                        ("rTCC", "R"), ("lingual", None), ("rostralmiddlefrontal", None), ("Insula_R", "R")])
def test_hemisphere_from_region_name(name, side):
    from braintwin.connectome import Parcellation

    assert Parcellation(np.ones((1, 1, 1), int), np.eye(4), {1: name}).hemisphere(1) == side


def test_cli_key_value_options():
    from braintwin.cli.data import parse_options

    assert parse_options(["kind=seeg,subject=01", "offset=20"], "recording") == {"kind": "seeg", "subject": "01", "offset": 20.0}
    with pytest.raises(InputError, match="KEY=VALUE"):
        parse_options(["subject"], "recording")


def test_bids_eeg_and_contacts_outside_any_head(edf, tmp_path):
    raw = mne.io.read_raw_edf(edf, verbose=False)
    raw.set_annotations(None)
    bp = mne_bids.BIDSPath(subject="07", task="rest", datatype="eeg", root=tmp_path / "eeg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mne_bids.write_raw_bids(raw, bp, overwrite=True, verbose=False)
    rec = read_recording(tmp_path / "eeg", kind="eeg")
    assert rec.kind == "eeg" and rec.labels == tuple(LABELS)
    with pytest.raises(InputError, match="no subject '01'"):
        read_recording(tmp_path / "eeg", subject="01")
    far = tmp_path / "far.txt"
    far.write_text("A1 400 0 0\nA2 410 0 0\n")
    with pytest.raises(InputError, match="outside any head"):
        read_electrodes(far)


@pytest.mark.parametrize("module, stage", [("observe/recordings.py", "observe"), ("observe/electrodes.py", "observe"),
                                           ("observe/fmri.py", "observe"), ("connectome/parcellation.py", "connectome"),
                                           ("connectome/tractography.py", "connectome"), ("_privacy.py", None)])
def test_import_modules_import_no_later_stage(module, stage):
    import ast
    from pathlib import Path

    import braintwin

    order = ["connectome", "models", "simulate", "observe", "features", "infer", "twin", "whatif", "report", "vep", "cli"]
    allowed = set(order[: order.index(stage) + 1]) if stage else set()
    tree = ast.parse((Path(braintwin.__file__).parent / module).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1 and node.module:
            parts = node.module.split(".")
            target = parts[0] if node.level == 2 or stage is None else stage
            assert target not in order or target in allowed, f"{module} imports {node.module}"


def test_edf_and_brainvision_written_by_mne_exporters(tmp_path):
    # the files MNE itself writes (mne.export: edfio for EDF, pybv for BrainVision), subject fields included
    pytest.importorskip("edfio")
    pytest.importorskip("pybv")
    raw = mne.io.RawArray(_signals(4), mne.create_info(LABELS, FS, "seeg"), verbose=False)
    raw.set_annotations(mne.Annotations([1.0, 3.0], [0.0, 0.0], ["seizure onset", "seizure offset"]))
    raw.set_meas_date(dt.datetime(2020, 1, 2, tzinfo=dt.timezone.utc))
    with raw.info._unlock():
        raw.info["subject_info"] = {"his_id": "JohnSmith1980", "first_name": "John", "last_name": "Smith",
                                    "birthday": dt.date(1980, 3, 4), "sex": 1}
    for name, fmt in (("mne.edf", "edf"), ("mne.vhdr", "brainvision")):
        path = tmp_path / name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # exporters' remarks on physical ranges
            mne.export.export_raw(path, raw, fmt=fmt, overwrite=True, verbose="error")
        before = sha256_file(path)
        rec = read_recording(path, kind="seeg")
        assert sha256_file(path) == before
        assert list(rec.labels) == LABELS and rec.fs_hz == FS and rec.duration_s == pytest.approx(4.0)
        # EDF stores 16-bit integers over the data's range: resolution ptp / 65535
        tol = 2 * np.ptp(_signals(4)) / 65535 if fmt == "edf" else 1e-9
        assert np.abs(rec.data.T - _signals(4)).max() < tol
        assert rec.annotation_onset("seizure onset") == pytest.approx(1.0)
        assert rec.meas_date is None and not any(s in json.dumps(rec.summary()) for s in ("John", "Smith", "1980"))
