"""``braintwin simulate --observe``, ``braintwin features`` and ``braintwin plot``."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import braintwin as bt
from braintwin.cli import main


@pytest.fixture(scope="module")
def bold_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("bold")
    out = d / "rest.h5"
    rc = main(["simulate", "-c", "tvb76", "--duration", "8000", "--dt", "0.01", "--G", "0.3", "--noise", "0.01,0.02",
               "--observe", "bold:tr=720", "--observe", "seeg:montage=bipolar", "--monitor", "tavg:2", "-o", str(out), "-q"])
    assert rc == 0
    return out


def test_observe_monitors_in_file(bold_run):
    mons = bt.read_simulation(bold_run)["monitors"]
    assert set(mons) == {"tavg", "bold", "seeg"}
    bold = mons["bold"]
    assert bold.data.shape == (11, 1, 76)  # 8000 ms / 720 ms
    np.testing.assert_allclose(bold.time, 720.0 * np.arange(1, 12))
    assert np.isfinite(bold.data).all() and bold.data.std() > 0
    seeg = mons["seeg"]
    assert seeg.data.shape[2] == len(seeg.labels) and "-" in seeg.labels[0]  # bipolar channels


def test_features_cli_matches_python(bold_run, tmp_path):
    fout = tmp_path / "f.h5"
    assert main(["features", str(bold_run), "--monitor", "tavg", "--set", "fc,psd_peak", "--skip-ms", "1000", "-o", str(fout)]) == 0
    with h5py.File(fout) as f:
        vals = f["values"][()]
        names = [n.decode() if isinstance(n, bytes) else n for n in f["names"][()]]
    ts = bt.read_simulation(bold_run)["monitors"]["tavg"]
    x = ts["r"][500:]
    fv = bt.features.compute(x, ["fc", "psd_peak"], dt_ms=2.0, labels=list(ts.labels))
    assert names == fv.names
    np.testing.assert_allclose(vals, fv.values, rtol=1e-12)
    k = names.index("fc[rA1,rA2]") if "fc[rA1,rA2]" in names else 0
    np.testing.assert_allclose(vals[k], np.corrcoef(x[:, 0], x[:, 1])[0, 1], rtol=1e-10)


@pytest.mark.parametrize("kind", ["timeseries", "fc", "fcd", "psd"])
def test_plot_kinds(bold_run, tmp_path, kind):
    png = tmp_path / f"{kind}.png"
    assert main(["plot", str(bold_run), str(png), "--kind", kind, "--monitor", "tavg", "--skip-ms", "1000"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_array_inputs_and_errors(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 4))
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "x.csv").write_text("a,b,c,d\n" + "\n".join(",".join(f"{v:.6f}" for v in row) for row in x))
    assert main(["features", str(tmp_path / "x.npy"), "--fs", "250", "--set", "fc"]) == 0
    out = capsys.readouterr().out
    assert "fc[ch0,ch1]" in out
    assert main(["features", str(tmp_path / "x.csv"), "--fs", "250", "--set", "fc"]) == 0
    assert "fc[a,b]" in capsys.readouterr().out
    assert main(["features", str(tmp_path / "x.npy"), "--set", "fc"]) == 2  # no --fs
    assert "--fs" in capsys.readouterr().err
    assert main(["features", str(tmp_path / "x.npy"), "--fs", "250", "--set", "nonsense"]) == 2
    assert main(["plot", str(tmp_path / "x.npy"), str(tmp_path / "p.png"), "--fs", "250", "--kind", "pie"]) == 2
    assert "unknown plot kind" in capsys.readouterr().err
    assert main(["simulate", "-c", "tvb76", "--duration", "5", "--observe", "bold:tx=1", "-o", str(tmp_path / "y.h5")]) == 2
    assert "tx" in capsys.readouterr().err


def test_diverged_file_is_refused(tmp_path, capsys):
    out = tmp_path / "div.h5"
    main(["simulate", "-c", "tvb76", "--duration", "50", "--dt", "0.5", "--method", "euler", "--param", "eta=1e4", "-o", str(out), "-q"])
    capsys.readouterr()
    assert main(["features", str(out), "--set", "fc"]) == 2
    assert "diverged" in capsys.readouterr().err
