"""``braintwin connectome info|convert|plot`` and the top-level CLI behaviour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import braintwin as bt
from braintwin.cli import main
from braintwin.errors import InputError

SRC = Path(__file__).resolve().parents[1] / "src"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bad_csv(tmp_path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text("1,2,3\n4,5\n7,8,9\n")
    return path


def test_version_and_help(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and bt.__version__ in out
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "connectome" in out
    code, out, _ = run(capsys, "connectome", "--help")
    assert code == 0 and all(cmd in out for cmd in ("info", "convert", "plot"))


def test_info_json_builtin(capsys):
    code, out, err = run(capsys, "connectome", "info", "tvb76", "--json")
    assert code == 0 and err == ""  # built-ins load quietly
    info = json.loads(out)
    assert info["n_regions"] == 76 and info["n_edges"] == 1494
    assert info["disconnected_regions"] == ["rCC", "lCC"] and info["speed_mm_per_ms"] == 3.0


def test_info_speed_scales_delays(capsys):
    _, out3, _ = run(capsys, "connectome", "info", "tvb68", "--json")
    _, out6, _ = run(capsys, "connectome", "info", "tvb68", "--json", "--speed", "6")
    a, b = json.loads(out3), json.loads(out6)
    assert b["delay_max_ms"] == pytest.approx(a["delay_max_ms"] / 2)


def test_info_table(capsys):
    code, out, _ = run(capsys, "connectome", "info", "tvb66")
    assert code == 0 and "regions" in out and "66" in out and "delays" in out


def test_info_prints_warnings_as_lines(capsys, tmp_path):
    path = bt.Connectome.builtin("tvb76").save(tmp_path / "c.npz")
    code, out, err = run(capsys, "connectome", "info", path, "--json")
    assert code == 0 and json.loads(out)["n_regions"] == 76
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("braintwin: warning: ") for line in lines)
    assert any("asymmetric" in line for line in lines)


def test_bad_file_exits_2_with_one_line(capsys, bad_csv):
    code, out, err = run(capsys, "connectome", "info", bad_csv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert str(bad_csv) in lines[0] and "weights" in lines[0] and "line 2" in lines[0]


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "connectome", "info", tmp_path / "nope.zip")
    assert code == 2 and "nope.zip" in err and len(err.strip().splitlines()) == 1


def test_bad_speed_exits_2(capsys):
    code, _, err = run(capsys, "connectome", "info", "tvb76", "--speed", "0")
    assert code == 2 and "speed" in err


def test_verbose_reraises(bad_csv):
    with pytest.raises(InputError):
        main(["--verbose", "connectome", "info", str(bad_csv)])


@pytest.mark.parametrize("ext", [".zip", ".h5", ".npz"])
def test_convert_round_trip(capsys, tmp_path, ext):
    out_path = tmp_path / f"c{ext}"
    code, out, _ = run(capsys, "connectome", "convert", "tvb76", out_path)
    assert code == 0 and str(out_path) in out
    back = bt.Connectome.load(out_path, warn=False)
    ref = bt.Connectome.builtin("tvb76")
    assert np.array_equal(back.weights, ref.weights) and back.labels == ref.labels


def test_convert_bad_extension(capsys, tmp_path):
    code, _, err = run(capsys, "connectome", "convert", "tvb76", tmp_path / "c.mat")
    assert code == 2 and "c.mat" in err and not (tmp_path / "c.mat").exists()


def test_allow_zero_lengths_flag(capsys, tmp_path):
    path = tmp_path / "c192.zip"
    assert run(capsys, "connectome", "convert", "tvb192", path)[0] == 0
    code, _, err = run(capsys, "connectome", "info", path)
    assert code == 2 and "--allow-zero-lengths" in err and "tract_lengths" in err
    code, out, _ = run(capsys, "connectome", "info", path, "--json", "--allow-zero-lengths")
    assert code == 0 and json.loads(out)["n_regions"] == 192


def test_mrtrix_options(capsys, tmp_path):
    w = np.triu(np.array([[0, 1, 2], [0, 0, 3], [0, 0, 0]], float))
    np.savetxt(tmp_path / "w.csv", w, delimiter=",")
    np.savetxt(tmp_path / "l.csv", np.triu(np.full((3, 3), 10.0), 1), delimiter=",")
    (tmp_path / "labels.txt").write_text("lh_a\nrh_a\nlh_b\n")
    code, out, err = run(
        capsys, "connectome", "info", tmp_path / "w.csv", "--lengths", tmp_path / "l.csv",
        "--labels", tmp_path / "labels.txt", "--json",
    )
    assert code == 0, err
    info = json.loads(out)
    assert info["n_edges"] == 6 and info["symmetric"] is True and info["tract_length_max"] == 10.0
    assert (info["n_left"], info["n_right"]) == (2, 1)


def test_option_not_for_this_format(capsys, tmp_path):
    path = bt.Connectome.builtin("tvb76").save(tmp_path / "c.h5")
    code, _, err = run(capsys, "connectome", "info", path, "--lengths", path)
    assert code == 2 and "lengths" in err


def test_plot(capsys, tmp_path):
    out_path = tmp_path / "c.png"
    code, _, _ = run(capsys, "connectome", "plot", "tvb76", out_path)
    assert code == 0 and out_path.read_bytes()[:4] == b"\x89PNG"


def test_subprocess_no_traceback(bad_csv):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "braintwin", "connectome", "info", str(bad_csv)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert str(bad_csv) in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "braintwin", "--version"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and bt.__version__ in proc.stdout
