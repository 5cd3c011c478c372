"""Cheap simulators for the campaign tests (module level: picklable for Dask workers)."""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from braintwin.infer.sbi.campaign import FunctionSimulator
from braintwin.infer.sbi.priors import Normal, Prior, Uniform

A = np.array([[1.0, 0.5], [-0.3, 2.0], [0.0, 1.0]])  # x = A theta + 0.1 eps


def linear(params, seeds):
    """x = A (a, b) + 0.1 eps, eps from each row's own seed."""
    theta = np.stack([params["a"], params["b"]], axis=1)
    eps = np.array([np.random.default_rng(int(s)).standard_normal(3) for s in seeds])
    return theta @ A.T + 0.1 * eps


_CALLS = [0]


def slow_linear(params, seeds):
    """``linear``, 30 ms per row, announcing each chunk on stdout before running it.

    With ``BT_TOY_STALL_AT=k`` in the environment the k-th chunk stalls for 20 s, so a
    test that interrupts the process at that chunk never races a child that already finished.
    Shorter than the test's 60-s wait for the exit.  (The Ctrl-C case once failed at times:
    a suite started from a background job hands its children an ignored SIGINT, which Python
    keeps; the test's child now installs Python's own Ctrl-C handler, as in a terminal.)
    """
    _CALLS[0] += 1
    print(f"chunk {len(seeds)}", flush=True)
    sys.stdout.flush()
    stall = os.environ.get("BT_TOY_STALL_AT")
    time.sleep(20.0 if stall and _CALLS[0] == int(stall) else 0.03 * len(seeds))
    return linear(params, seeds)


def prior():
    return Prior({"a": Uniform(0.0, 1.0), "b": Normal(0.0, 1.0)})


def simulator(slow: bool = False):
    return FunctionSimulator(slow_linear if slow else linear, ["x0", "x1", "x2"], {"A": A, "noise_sd": 0.1})
