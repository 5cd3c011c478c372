"""Simulation campaigns: one HDF5 file, resumable after SIGKILL, Dask with a lost worker,
flagged divergences, refusals of foreign or corrupt files, and a real network campaign."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import sbi_toys
from braintwin.errors import BraintwinWarning, InputError
from braintwin.infer.sbi import campaign as C
from braintwin.infer.sbi.campaign import (
    DIVERGED,
    FAILED,
    OK,
    PENDING,
    FunctionSimulator,
    NetworkSimulator,
    draw_rows,
    read_campaign,
    run_campaign,
)
from braintwin.infer.sbi.priors import Prior, Uniform

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)])}


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _expected(camp):
    """Features an uninterrupted, unchunked evaluation gives for the file's draws."""
    return sbi_toys.linear(camp.prior.unflatten(camp.theta), camp.seeds)


def test_rows_do_not_depend_on_chunking(tmp_path):
    prior, sim = sbi_toys.prior(), sbi_toys.simulator()
    a = run_campaign(sim, prior, 150, tmp_path / "a.h5", chunk_size=16, seed=3, progress=False)
    b = run_campaign(sim, prior, 150, tmp_path / "b.h5", chunk_size=150, seed=3, progress=False)
    theta, seeds = draw_rows(prior, 3, 0, 150)
    np.testing.assert_array_equal(a.theta, theta)
    np.testing.assert_array_equal(a.seeds, seeds)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_allclose(a.x, _expected(a), rtol=0, atol=0)
    assert np.all(a.status == OK) and a.feature_names == ["x0", "x1", "x2"]
    assert len(np.unique(a.seeds)) == 150
    # growing n keeps the first rows and runs only the new ones
    c = run_campaign(sim, prior, 1100, tmp_path / "a.h5", chunk_size=500, seed=3, progress=False)
    np.testing.assert_array_equal(c.x[:150], a.x)
    np.testing.assert_array_equal(c.theta, draw_rows(prior, 3, 0, 1100)[0])
    np.testing.assert_allclose(c.x, _expected(c))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_campaign_killed_with_sigkill_resumes_without_loss(tmp_path, sig):
    path = tmp_path / "killed.h5"
    # the child's Ctrl-C handler is Python's own, as in a terminal: a suite started from a
    # background job (nohup, `make test &`) hands its children an ignored SIGINT, which
    # Python (and so the campaign) would rightly keep ignoring
    script = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "import sbi_toys; from braintwin.infer.sbi.campaign import run_campaign; "
        f"run_campaign(sbi_toys.simulator(slow=True), sbi_toys.prior(), 120, {str(path)!r}, chunk_size=10, seed=5, "
        "progress=False)"
    )
    # the 4th chunk stalls (sbi_toys): the signal lands in it however slowly this process reads the lines
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**ENV, "BT_TOY_STALL_AT": "4"}, text=True)
    try:
        started = 0
        for line in proc.stdout:  # a chunk starts only after the previous one was committed
            started += line.startswith("chunk")
            if started == 4:
                break
        os.kill(proc.pid, sig)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode != 0
    part = read_campaign(path)
    assert part.counts()["n_pending"] == 120 - 30  # three chunks committed, the fourth lost
    assert np.all(np.isnan(part.x[part.status == PENDING]))
    resumed = run_campaign(sbi_toys.simulator(slow=True), sbi_toys.prior(), 120, path, chunk_size=10, seed=5,
                           progress=False)
    whole = run_campaign(sbi_toys.simulator(), sbi_toys.prior(), 120, tmp_path / "whole.h5", chunk_size=7, seed=5,
                         progress=False)
    assert np.all(resumed.status == OK)
    np.testing.assert_array_equal(resumed.theta, whole.theta)
    np.testing.assert_array_equal(resumed.seeds, whole.seeds)
    np.testing.assert_array_equal(resumed.x, whole.x)


def test_single_machine_path_does_not_import_dask(tmp_path):
    script = (
        "import sys, sbi_toys; from braintwin.infer.sbi.campaign import run_campaign; "
        f"c = run_campaign(sbi_toys.simulator(), sbi_toys.prior(), 20, {str(tmp_path / 'c.h5')!r}, progress=False); "
        "print(sum(c.status == 0), sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, env=ENV, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "20 []"


def test_dask_cluster_with_a_killed_worker_keeps_every_row_once(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("PYTHONPATH", ENV["PYTHONPATH"])
    written: list[int] = []
    real_write = C._write_result

    def record(path, res):
        real_write(path, res)
        written.extend(int(r) for r in res["rows"])

    monkeypatch.setattr(C, "_write_result", record)
    killed = {}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:

        def kill_one():
            while len(written) < 20:  # some chunks done, most still to run
                time.sleep(0.05)
            nanny = next(iter(cluster.workers.values()))
            killed["pid"] = nanny.process.process.pid
            killed["written"] = len(written)
            os.kill(killed["pid"], signal.SIGKILL)

        t = threading.Thread(target=kill_one, daemon=True)
        t.start()
        camp = run_campaign(sbi_toys.simulator(slow=True), sbi_toys.prior(), 200, tmp_path / "dask.h5", chunk_size=10,
                            seed=7, scheduler=cluster.scheduler_address, progress=False)
        t.join(timeout=5)
    assert "pid" in killed and killed["written"] < 200
    assert sorted(written) == list(range(200))  # every row committed exactly once
    assert np.all(camp.status == OK)
    np.testing.assert_allclose(camp.x, _expected(camp))


def _flaky(params, seeds):
    """Row kinds by parameter value: diverged, all-NaN, one NaN feature, ok."""
    x = sbi_toys.linear(params, seeds)
    a = params["a"]
    status = np.where(a < 0.1, DIVERGED, OK).astype(np.uint8)
    x[a < 0.1] = np.nan
    x[(a >= 0.1) & (a < 0.2)] = np.nan  # a run that gave no feature at all
    x[(a >= 0.2) & (a < 0.3), 1] = np.inf
    return x, status


def test_diverged_failed_and_nonfinite_rows_are_flagged_and_left_out(tmp_path):
    prior = sbi_toys.prior()
    sim = FunctionSimulator(_flaky, ["x0", "x1", "x2"])
    with pytest.warns(BraintwinWarning, match=r"diverged.*failed.*nonfinite.*left out of training"):
        camp = run_campaign(sim, prior, 300, tmp_path / "f.h5", chunk_size=64, progress=False)
    a = camp.theta[:, 0]
    theta, x, counts = camp.training_data()
    assert counts == {
        "n_total": 300, "n_ok": int(np.sum(a >= 0.3)), "n_diverged": int(np.sum(a < 0.1)),
        "n_failed": int(np.sum((a >= 0.1) & (a < 0.2))), "n_nonfinite": int(np.sum((a >= 0.2) & (a < 0.3))),
        "n_pending": 0,
    }
    assert np.all(camp.status[a < 0.1] == DIVERGED) and np.all(camp.status[(a >= 0.1) & (a < 0.2)] == FAILED)
    np.testing.assert_array_equal(theta, camp.theta[a >= 0.3])
    assert np.all(np.isfinite(x)) and x.shape == (counts["n_ok"], 3)


def _crashes(params, seeds):
    if np.any(params["a"] > 0.9):
        raise RuntimeError("solver blew up")
    return sbi_toys.linear(params, seeds)


def test_a_crashing_chunk_is_marked_failed_and_recorded(tmp_path):
    with pytest.warns(BraintwinWarning, match=r"\d+ failed"):
        camp = run_campaign(FunctionSimulator(_crashes, ["x0", "x1", "x2"]), sbi_toys.prior(), 60, tmp_path / "c.h5",
                            chunk_size=10, progress=False)
    with h5py.File(tmp_path / "c.h5") as f:
        failures = json.loads(f.attrs["failures"])
    bad_chunks = {i // 10 for i in np.flatnonzero(camp.theta[:, 0] > 0.9)}
    assert len(failures) == len(bad_chunks) and "solver blew up" in failures[0]
    assert {i // 10 for i in np.flatnonzero(camp.status == FAILED)} == bad_chunks


def test_file_from_another_configuration_is_refused_untouched(tmp_path):
    path = tmp_path / "c.h5"
    run_campaign(sbi_toys.simulator(), sbi_toys.prior(), 30, path, progress=False)
    before = _sha(path)
    other_prior = Prior({"a": Uniform(0.0, 2.0), "b": sbi_toys.prior().dists["b"]})
    for kwargs, field in (({"seed": 1}, "seed"), ({"prior": other_prior}, "prior.params.a.high")):
        args = {"simulator": sbi_toys.simulator(), "prior": sbi_toys.prior(), "n": 30, "path": path, **kwargs}
        with pytest.raises(InputError, match=f"another configuration \\(differs in {field}") as info:
            run_campaign(**args, progress=False)
        assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="FunctionSimulator cannot return time series"):
        run_campaign(sbi_toys.simulator(), sbi_toys.prior(), 30, path, keep_timeseries=True, progress=False)
    with pytest.raises(InputError, match="n=10 would drop"):
        run_campaign(sbi_toys.simulator(), sbi_toys.prior(), 10, path, progress=False)
    assert _sha(path) == before


def test_truncated_or_corrupt_files_give_one_line(tmp_path):
    path = tmp_path / "c.h5"
    run_campaign(sbi_toys.simulator(), sbi_toys.prior(), 30, path, progress=False)
    data = path.read_bytes()
    cases = {"truncated.h5": data[: len(data) // 3], "garbage.h5": b"\x00not hdf5" * 100}
    for name, content in cases.items():
        bad = tmp_path / name
        bad.write_bytes(content)
        for call in (lambda: read_campaign(bad),
                     lambda: run_campaign(sbi_toys.simulator(), sbi_toys.prior(), 30, bad, progress=False)):
            with pytest.raises(InputError, match="campaign file") as info:
                call()
            assert "\n" not in str(info.value) and str(bad) in str(info.value)
        assert bad.read_bytes() == content
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(InputError, match="not a braintwin campaign file"):
        read_campaign(other)


# -- a real network ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_net():
    import braintwin as bt

    return bt.Connectome.builtin("tvb76").subset(["rAMYG", "rPHC", "rHC", "rTCI"]).normalized("max").with_zero_diagonal()


def _net_sim(conn, **kw):
    opts = dict(monitor="tavg:1.0", output="r", duration=200.0, skip_ms=50.0, dt=0.05, noise=[0.01, 0.02])
    opts.update(kw)
    return NetworkSimulator(conn, "MontbrioPazoRoxin", ["fc", "moments"], **opts)


def test_network_campaign_matches_engine_and_features(tmp_path, tiny_net):
    import braintwin as bt

    prior = Prior({"G": Uniform(0.0, 1.0), "eta": Uniform(-6.0, -4.0)}, model="MontbrioPazoRoxin")
    sim = _net_sim(tiny_net, engine="numba")
    camp = run_campaign(sim, prior, 6, tmp_path / "net.h5", chunk_size=4, keep_timeseries=True, progress=False)
    assert np.all(camp.status == OK) and camp.x.shape == (6, 6 + 4 * 4)
    assert camp.config["connectome_sha256"] and camp.config["gain_sha256"] is None
    assert camp.config["feature_sets"] == ["fc", "moments"] and "numpy" in camp.config["versions"]
    # the same rows straight from the engine and the feature registry
    p = prior.unflatten(camp.theta)
    res = bt.simulate_batch(tiny_net, "MontbrioPazoRoxin", p, seeds=camp.seeds, duration=200.0, dt=0.05,
                            noise=[0.01, 0.02], monitors=["tavg:1.0"], progress=False, dtype=np.float64)
    r = res["tavg"]["r"][:, 50:]
    fv = bt.features.compute(r, ["fc", "moments"], dt_ms=1.0, labels=tiny_net.labels)
    np.testing.assert_allclose(camp.x, fv.values, rtol=1e-9, atol=1e-12)
    assert camp.feature_names == fv.names
    ts = read_campaign(tmp_path / "net.h5", timeseries=True).timeseries
    assert ts.shape == (6, 150, 4) and ts.dtype == np.float32
    np.testing.assert_allclose(ts, r, rtol=1e-6)


def test_nsig_in_the_prior_scales_the_noise_weights(tiny_net):
    # nsig * noise_weights per row must equal the fixed noise of the batch path
    batch = _net_sim(tiny_net)
    per_row = _net_sim(tiny_net, noise=None, noise_weights=[1.0, 2.0])
    seeds = np.array([11, 12, 13])
    G = np.array([0.2, 0.5, 0.8])
    x1, s1 = batch.simulate({"G": G}, seeds)
    x2, s2 = per_row.simulate({"G": G, "nsig": np.full(3, 0.01)}, seeds)
    np.testing.assert_allclose(x2, x1, rtol=1e-9)
    x3, _ = per_row.simulate({"G": G, "nsig": np.full(3, 0.05)}, seeds)
    assert not np.allclose(x3, x1)
    # a run that blows up is flagged, its features NaN
    x4, s4 = batch.simulate({"G": G[:2], "eta": np.array([-5.0, 1e6])}, seeds[:2])
    assert list(s4) == [OK, DIVERGED] and np.all(np.isnan(x4[1])) and np.all(np.isfinite(x4[0]))


def test_network_simulator_refuses_foreign_prior_names(tiny_net, tmp_path):
    sim = _net_sim(tiny_net)
    with pytest.raises(InputError, match="unknown parameter.*x0"):
        run_campaign(sim, Prior({"x0": Uniform(-3, -1)}), 4, tmp_path / "x.h5", progress=False)
    assert not (tmp_path / "x.h5").exists()
    with pytest.raises(InputError, match="no output 'q'"):
        _net_sim(tiny_net, output="q").simulate({"G": np.array([0.1])}, np.array([1]))


# -- the command line ------------------------------------------------------------------------
def _cli_config(tmp_path, tiny_net, **campaign) -> Path:
    conn_file = tiny_net.save(tmp_path / "tiny.npz")
    camp = {"n": 4, "chunk_size": 2, "seed": 2, **campaign}
    text = (
        f'[simulator]\nconnectome = "{conn_file}"\nnormalize = "none"\nmodel = "MontbrioPazoRoxin"\n'
        'monitor = "tavg:1.0"\noutput = "r"\nduration = 200.0\nskip_ms = 50.0\ndt = 0.05\nengine = "numba"\n'
        "noise_weights = [1.0, 2.0]\n"
        '[features]\nsets = ["fc"]\n'
        '[prior.params]\nG = {dist = "uniform", low = 0.0, high = 0.5}\n'
        'nsig = {dist = "lognormal", loc = -4.6, scale = 0.3}\n'
        "[campaign]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in camp.items())
    )
    path = tmp_path / "camp.toml"
    path.write_text(text)
    return path


def test_cli_sbi_simulate_writes_and_resumes(tmp_path, tiny_net, capsys):
    from braintwin.cli import main

    cfg = _cli_config(tmp_path, tiny_net)
    out = tmp_path / "camp.h5"
    assert main(["sbi", "simulate", str(cfg), "--out", str(out), "--n", "3", "-q", "--json"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["n_total"] == 3 and first["n_ok"] + first["n_diverged"] == 3
    # growing the campaign from the flags keeps the first rows
    x3 = read_campaign(out).x
    assert main(["sbi", "simulate", str(cfg), "--out", str(out), "-q"]) == 0
    camp = read_campaign(out)
    assert camp.prior.labels == ["G", "nsig"] and len(camp.status) == 4 and camp.feature_names[0].startswith("fc[")
    np.testing.assert_array_equal(camp.x[:3], x3)


def test_cli_sbi_simulate_bad_input_is_one_line_and_overwrites_nothing(tmp_path, tiny_net, capsys):
    from braintwin.cli import main

    cfg = _cli_config(tmp_path, tiny_net)
    out = tmp_path / "camp.h5"
    assert main(["sbi", "simulate", str(cfg), "--out", str(out), "--n", "2", "-q"]) == 0
    before = _sha(out)
    capsys.readouterr()
    bad_prior = cfg.read_text().replace("high = 0.5", "high = -0.5")
    cases = {
        "seed": (["--seed", "9"], "another configuration"),
        "prior": (None, "G: low (0.0) must be < high (-0.5)"),
        "name": (None, "unknown parameter 'zeta'"),
        "table": (None, "unknown table(s) extra"),
    }
    for what, (flags, message) in cases.items():
        path = cfg
        if what == "prior":
            path = tmp_path / "bad_prior.toml"
            path.write_text(bad_prior)
        elif what == "name":
            path = tmp_path / "bad_name.toml"
            path.write_text(cfg.read_text().replace("nsig = {", "zeta = {"))
        elif what == "table":
            path = tmp_path / "bad_table.toml"
            path.write_text(cfg.read_text() + "[extra]\na = 1\n")
        assert main(["sbi", "simulate", str(path), "--out", str(out), "-q", *(flags or [])]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err
        assert _sha(out) == before


def test_config_initial_state_and_the_connectome_as_sc_option(tmp_path, tiny_net):
    from braintwin.features import compute
    from braintwin.infer.sbi.config import load_campaign_config

    cfg = _cli_config(tmp_path, tiny_net).read_text().replace('sets = ["fc"]\n', 'sets = ["fc_stats", "amplitude_stats"]\n')
    cfg = cfg.replace('noise_weights = [1.0, 2.0]\n', 'noise_weights = [1.0, 2.0]\ninitial = [0.1, -2.0]\n')
    path = tmp_path / "sc.toml"
    path.write_text(cfg.replace("[prior.params]", '[features.options]\nsc = "connectome"\n[prior.params]'))
    sim, prior, _ = load_campaign_config(path)
    np.testing.assert_array_equal(sim.initial, [0.1, -2.0])
    np.testing.assert_array_equal(sim.feature_options["sc"], tiny_net.weights)
    x, status, ts = sim.simulate({"G": np.array([0.2]), "nsig": np.array([0.01])}, np.array([3]), return_timeseries=True)
    ref = compute(ts.astype(np.float64), ["fc_stats", "amplitude_stats"], sc=tiny_net.weights)
    assert status[0] == OK and sim.feature_names == ref.names and "fc_stats[sc_corr]" in ref.names
    np.testing.assert_allclose(x[0], ref.values[0], rtol=1e-4, atol=1e-6)  # the series comes back as float32
    path.write_text(cfg.replace("[prior.params]", '[features.options]\nsc = "atlas"\n[prior.params]'))
    with pytest.raises(InputError, match="connectome"):
        load_campaign_config(path)


def test_jax_engine_gives_the_numba_features(tiny_net):
    pytest.importorskip("jax")
    p = {"G": np.array([0.1, 0.4]), "eta": np.array([-5.0, 1e6])}
    seeds = np.array([4, 5])
    xa, sa = _net_sim(tiny_net, engine="numba").simulate(dict(p), seeds)
    xb, sb = _net_sim(tiny_net, engine="jax").simulate(dict(p), seeds)
    assert list(sa) == list(sb) == [OK, DIVERGED]
    np.testing.assert_allclose(xb, xa, rtol=1e-6, atol=1e-9, equal_nan=True)


def test_reading_a_campaign_does_not_block_its_writer(tmp_path):
    path = tmp_path / "c.h5"
    run_campaign(sbi_toys.simulator(), sbi_toys.prior(), 20, path, progress=False)
    script = ("import sys; from braintwin.infer.sbi.campaign import _h5open\n"
              f"with _h5open({str(path)!r}, 'r'):\n    print('open', flush=True); sys.stdin.read()\n")
    reader = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env=ENV, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"  # another program reads the file meanwhile
        camp = run_campaign(sbi_toys.simulator(), sbi_toys.prior(), 40, path, progress=False)
    finally:
        reader.communicate("", timeout=60)
    assert np.all(camp.status == OK) and len(camp.status) == 40


@pytest.mark.slow  # about 13 s: a synthetic patient, the VEP kernel's compilation, a small campaign
def test_vep_simulator_reproduces_the_synthetic_patient(tmp_path):
    import braintwin as bt
    import braintwin.vep as vep
    from braintwin.infer.sbi.simulators import vep_simulator

    conn = bt.Connectome.builtin("tvb76").subset(["rAMYG", "rPHC", "rHC", "rTCI", "rTCV", "rTCPOL", "rTCC", "rTCS"])
    pt = vep.synthetic_patient(conn, ez=["rTCC", "rTCV"], pz=["rTCI", "rAMYG"], dt=0.25, n_times=80, n_contacts=8,
                               tau0=20.0, K=1.0, seed=0, on_no_pz="warn")
    sim = vep_simulator(pt.connectome, pt.gain, tau0=pt.tau0, K=pt.K, dt=pt.dt, n_times=80, initial=pt.initial,
                        contact_labels=pt.contact_labels, amplitude=pt.amplitude, offset=pt.offset, engine="numba")
    prior = Prior({"x0": {"dist": "uniform", "low": -4.0, "high": -1.0, "per_region": True}, "K": Uniform(0.0, 2.0)},
                  model="VEP2D", region_labels=pt.region_labels)
    # the patient's own parameters give its noise-free SEEG envelope
    truth = prior.flatten({"x0": pt.truth["x0"][None], "K": np.array([pt.K])})
    x, status, ts = sim.simulate(prior.unflatten(truth), np.array([0]), return_timeseries=True)
    assert status[0] == OK and sim.feature_names[0].startswith("moments[") and pt.contact_labels[0] in sim.feature_names[0]
    np.testing.assert_allclose(ts[0], pt.clean, atol=1e-5)
    # a campaign over x0 of every region and K
    camp = run_campaign(sim, prior, 4, tmp_path / "vep.h5", chunk_size=2, progress=False)
    assert camp.prior.labels[0] == f"x0[{pt.region_labels[0]}]" and camp.x.shape == (4, x.shape[1])
    assert camp.config["gain_sha256"] and np.all(camp.status == OK)


def test_ctrl_c_during_a_commit_waits_for_its_end():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with C._sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            done.append(True)  # reached: the write is not cut in half
    assert done == [True]
