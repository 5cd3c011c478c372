"""``braintwin simulate`` and ``braintwin demo`` from the command line, and the HDF5 results."""

from __future__ import annotations

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

import braintwin as bt
from braintwin.cli import main
from braintwin.errors import InputError


def test_simulate_flags_write_hdf5(tmp_path, capsys):
    out = tmp_path / "run.h5"
    rc = main(["simulate", "--connectome", "tvb76", "--model", "MontbrioPazoRoxin", "--duration", "50", "--out", str(out),
               "--param", "eta=-4.5", "--G", "0.3", "--noise", "0.01,0.02", "--seed", "3", "-q"])
    assert rc == 0
    res = bt.read_simulation(out)
    ts = res["monitors"]["tavg"]
    assert ts.data.shape == (50, 2, 76)
    assert ts.outputs == ("r", "V") and ts.labels[0] == "rA1"
    assert res["config"]["model_params"]["eta"] == -4.5
    assert res["config"]["coupling_params"]["a"] == 0.3
    assert not res["diverged"].any()
    # the same run from Python gives the same numbers (the CLI only composes stages)
    conn = bt.Connectome.builtin("tvb76").normalized("max")
    py = bt.simulate(conn, bt.models.MontbrioPazoRoxin(eta=-4.5), G=0.3, duration=50.0, noise=(0.01, 0.02), seed=3)
    np.testing.assert_array_equal(py["tavg"].data, ts.data)


def test_simulate_toml_config_and_plot(tmp_path):
    cfg = tmp_path / "sim.toml"
    cfg.write_text(
        'connectome = "tvb76"\nmodel = "JansenRit"\nduration = 20.0\ndt = 0.1\nmonitors = ["subsample:1.0", "raw"]\n'
        'outputs = ["y1 - y2"]\nzero_diagonal = true\n[params]\nmu = 0.2\n'
    )
    out, png = tmp_path / "jr.h5", tmp_path / "jr.png"
    assert main(["simulate", "--config", str(cfg), "--out", str(out), "--plot", str(png), "-q"]) == 0
    res = bt.read_simulation(out)
    assert set(res["monitors"]) == {"subsample", "raw"}
    assert res["monitors"]["raw"].data.shape == (200, 1, 76)
    assert res["config"]["model"] == "JansenRit" and res["config"]["model_params"]["mu"] == 0.2
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # flags override the file
    assert main(["simulate", "--config", str(cfg), "--duration", "10", "--out", str(out), "-q"]) == 0
    assert bt.read_simulation(out)["monitors"]["raw"].data.shape == (100, 1, 76)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--model", "Nope"], "unknown model"),
        (["--param", "eta"], "expected NAME=VALUE"),
        (["--param", "eta=abc"], "not a number"),
        (["--param", "etta=1"], "unknown parameter"),
        (["--method", "leapfrog"], "unknown integrator"),
        (["--monitor", "tavg:0.015"], "whole number of steps"),
        (["--noise", "a,b"], "noise"),
        (["--coupling", "quadratic"], "unknown coupling"),
    ],
)
def test_simulate_user_errors_exit_2_with_one_line(tmp_path, capsys, args, needle):
    rc = main(["simulate", "--connectome", "tvb76", "--duration", "5", "--out", str(tmp_path / "x.h5"), "-q", *args])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x.h5").exists()


def test_bad_config_files_name_file_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('connectome = "tvb76"\nduraton = 5\n')
    assert main(["simulate", "--config", str(bad), "--out", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "duraton" in err
    broken = tmp_path / "broken.toml"
    broken.write_text("connectome = \n")
    assert main(["simulate", "--config", str(broken)]) == 2
    assert "invalid TOML" in capsys.readouterr().err
    assert main(["simulate", "--config", str(tmp_path / "missing.toml")]) == 2
    assert main(["simulate", "--model", "JansenRit"]) == 2  # no connectome
    assert "no connectome" in capsys.readouterr().err


def test_diverged_run_is_flagged_in_file_and_exit_status(tmp_path, capsys):
    out = tmp_path / "div.h5"
    rc = main(["simulate", "--connectome", "tvb76", "--duration", "100", "--dt", "0.5", "--method", "euler",
               "--param", "eta=1e4", "--out", str(out), "-q"])
    assert rc == 1
    assert "diverged" in capsys.readouterr().err
    res = bt.read_simulation(out)
    assert res["diverged"].all() and res["divergences"][0]["time_ms"] < 100.0
    assert np.isfinite(res["monitors"]["tavg"].data).all()


def test_read_simulation_refuses_other_files(tmp_path):
    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as f:
        f["x"] = 1
    with pytest.raises(InputError, match="not a braintwin simulation"):
        bt.read_simulation(p)
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(InputError, match="not a readable HDF5"):
        bt.read_simulation(tmp_path / "text.h5")


def test_python_m_braintwin_bad_option_no_traceback():
    r = subprocess.run([sys.executable, "-m", "braintwin", "simulate", "--bogus"], capture_output=True, text=True)
    assert r.returncode == 2 and "No such option" in r.stderr and "Traceback" not in r.stderr


def test_demo_runs_end_to_end(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo-rest", "--workflow", "sweep", "--out", str(out), "--n-sims", "4"]) == 0
    for name in ("connectome.png", "simulation.h5", "timeseries.png", "batch_G_sweep.png", "summary.json"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["connectome"]["n_regions"] == 76
    assert summary["batch"]["n_sims"] == 4
    assert bt.read_simulation(out / "simulation.h5")["monitors"]["tavg"].data.shape == (2000, 2, 76)
