"""Bring your own SEEG (issue 16): a BIDS iEEG dataset, electrodes, a parcellation and a .tck -> twin build -> report.

No identifying header field of the recording reaches the twin file, the report or the logs.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

mne = pytest.importorskip("mne")
mne_bids = pytest.importorskip("mne_bids")
nib = pytest.importorskip("nibabel")

from _formats import write_edf  # noqa: E402

from braintwin._io import sha256_file  # noqa: E402

FS = 256
LABELS = ["A1", "A2", "A3", "B1", "B2", "B3"]
SECRETS = ("John", "Smith", "1980-03-04", "04-MAR-1980", "DrWho", "SN123")
REGIONS = {1: "ctx-lh-front", 2: "ctx-lh-back", 3: "ctx-rh-front", 4: "ctx-rh-back"}


def _patient(tmp_path):
    """A 10-s SEEG with fast activity on electrode A from 4 s, in BIDS; a 4-region brain; streamlines between regions."""
    rng = np.random.default_rng(1)
    t = np.arange(10 * FS) / FS
    x = rng.normal(size=(len(LABELS), t.size)) * 2e-5
    x[:3, t >= 4] += 3e-4 * np.sin(2 * np.pi * 25 * t[t >= 4])  # ictal fast activity on A1-A3
    edf = tmp_path / "raw.edf"
    write_edf(edf, x, FS, LABELS, patient="X123 M 04-MAR-1980 John_Smith", recording="Startdate 02-JAN-2020 X DrWho SN123")
    raw = mne.io.read_raw_edf(edf, verbose=False)
    raw.set_channel_types({c: "seeg" for c in raw.ch_names})
    root = tmp_path / "bids"
    bp = mne_bids.BIDSPath(subject="01", session="01", task="seizure", run="01", datatype="ieeg", root=root, space="ACPC")
    pos = {"A1": (-0.030, 10e-3, 0), "A2": (-0.026, 10e-3, 0), "A3": (-0.022, 10e-3, 0),
           "B1": (0.022, -10e-3, 0), "B2": (0.026, -10e-3, 0), "B3": (0.030, -10e-3, 0)}
    montage = mne.channels.make_dig_montage({k: np.array(v) for k, v in pos.items()}, coord_frame="mri")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mne_bids.write_raw_bids(raw, bp, events=np.array([[4 * FS, 0, 1]]), event_id={"seizure_onset": 1},
                                montage=montage, overwrite=True, verbose=False)
    d = np.zeros((40, 40, 20))  # 2-mm voxels, x, y in -40..40 mm
    d[2:20, 20:38, 5:15], d[2:20, 2:20, 5:15], d[20:38, 20:38, 5:15], d[20:38, 2:20, 5:15] = 1, 2, 3, 4
    aff = np.diag([2.0, 2.0, 2.0, 1.0])
    aff[:3, 3] = [-40, -40, -20]
    nib.save(nib.Nifti1Image(d.astype(np.int16), aff), tmp_path / "parc.nii.gz")
    (tmp_path / "lut.txt").write_text("".join(f"{k} {v} 0 0 0 0\n" for k, v in REGIONS.items()))
    centres = {1: (-20, 20, 0), 2: (-20, -20, 0), 3: (20, 20, 0), 4: (20, -20, 0)}
    sl = []
    for (i, j), n in {(1, 2): 30, (1, 3): 10, (2, 4): 10, (3, 4): 30, (1, 4): 5, (2, 3): 5}.items():
        for k in range(n):
            a, b = np.array(centres[i], float), np.array(centres[j], float)
            sl.append(np.linspace(a, b, 8) + rng.normal(size=3))
    nib.streamlines.save(nib.streamlines.Tractogram(sl, affine_to_rasmm=np.eye(4)), str(tmp_path / "t.tck"))
    return root


@pytest.mark.slow
def test_bids_seeg_to_twin_and_report_without_identifiers(tmp_path, capsys, caplog):
    from braintwin.cli import main
    import braintwin as bt

    root = _patient(tmp_path)
    originals = {p: sha256_file(p) for p in root.rglob("*") if p.is_file()}
    electrodes = next(root.rglob("*_electrodes.tsv")).relative_to(tmp_path)
    cfg = tmp_path / "twin.toml"
    cfg.write_text(f'''seeg = "bids"
contacts = "{electrodes}"
parcellation = "parc.nii.gz"
lut = "lut.txt"
tractography = "t.tck"
subject_id = "sub-01"
out = "{tmp_path / 'twin.h5'}"
chains = 1
warmup = 40
samples = 40
n_times = 60
[recording]
kind = "seeg"
subject = "01"
task = "seizure"
[window]
annotation = "seizure_onset"
offset = 4.0
baseline = 2.0
''')
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="braintwin")
    assert main(["twin", "build", str(cfg)]) == 0
    twin = bt.Twin.load(tmp_path / "twin.h5")
    assert twin.connectome.labels == list(REGIONS.values()) and twin.connectome.weights[0, 1] == 1.0  # 30 streamlines, max
    assert main(["report", str(tmp_path / "twin.h5"), "--out", str(tmp_path / "report.html"), "--n-samples", "10"]) == 0
    logs = capsys.readouterr()
    blobs = [(tmp_path / "twin.h5").read_bytes(), (tmp_path / "report.html").read_bytes(),
             (logs.out + logs.err + caplog.text).encode()]
    for blob in blobs:
        assert not any(s.encode() in blob for s in SECRETS)
    assert {p: sha256_file(p) for p in root.rglob("*") if p.is_file()} == originals
