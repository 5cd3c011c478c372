"""Estimator files: one ``.npe`` zip holding ``metadata.json`` (prior, feature names and
sets, connectome/gain checksums, flow settings, standardisation, versions), one
``member<k>.eqx`` per ensemble member (equinox leaves) and, with a PCA embedding,
``projection.npy`` (regression summaries' coefficients sit in the metadata).  Written atomically; read back with every failure as one line.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ..._io import atomic_path
from ...errors import InputError
from .npe import FORMAT, Estimator, _build_flow
from .priors import Prior

__all__ = ["write_estimator", "read_estimator"]


def write_estimator(estimator: Estimator, path) -> Path:
    """Write an estimator to one ``.npe`` file (zip: ``metadata.json`` + ``member<k>.eqx``), atomically.

    Parameters
    ----------
    estimator : Estimator
    path : str or path-like

    Returns
    -------
    Path
    """
    import equinox as eqx

    path = Path(path)
    meta = json.dumps(estimator.to_metadata(), indent=1, sort_keys=True)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", meta)
        for k, flow in enumerate(estimator.flows):
            buf = io.BytesIO()
            eqx.tree_serialise_leaves(buf, flow)
            zf.writestr(f"member{k}.eqx", buf.getvalue())
        if estimator.projection is not None:
            buf = io.BytesIO()
            np.save(buf, estimator.projection, allow_pickle=False)
            zf.writestr("projection.npy", buf.getvalue())
    return path


def _in_column_order(prior: dict, order) -> dict:
    """The prior's parameters in the flow's column order (the metadata is written with sorted keys)."""
    params = prior.get("params", {})
    if not order or set(order) != set(params):
        return prior
    return {**prior, "params": {n: params[n] for n in order}}


def read_estimator(path) -> Estimator:
    """Read an estimator written by :func:`write_estimator`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    Estimator

    Raises
    ------
    InputError
        Missing, corrupt or truncated file, or not a braintwin estimator.
    """
    import equinox as eqx
    import jax.random as jr

    path = Path(path)
    if not path.is_file():
        raise InputError("estimator file not found", source=str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            meta = json.loads(zf.read("metadata.json"))
            if meta.get("format") != FORMAT:
                raise InputError("not a braintwin NPE estimator", source=str(path))
            prior = Prior.from_dict(_in_column_order(meta["prior"], meta.get("parameter_order")))
            std = {k: np.asarray(v, dtype=np.float64) for k, v in meta["standardisation"].items()}
            proj = (np.load(io.BytesIO(zf.read("projection.npy")), allow_pickle=False)
                    if meta["settings"].get("n_components") else None)
            summ = meta.get("summaries")
            if summ is not None:
                summ = {k: (np.asarray(v, dtype=np.float64) if isinstance(v, list) else v) for k, v in summ.items()}
            cond_dim = (prior.dim if summ is not None else
                        len(meta["feature_names"]) if proj is None else proj.shape[1])
            like = _build_flow(jr.key(0), prior.dim, cond_dim, meta["settings"])
            flows = [eqx.tree_deserialise_leaves(io.BytesIO(zf.read(f"member{k}.eqx")), like)
                     for k in range(meta["settings"]["ensemble"])]
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError) as e:
        raise InputError(f"corrupt or truncated estimator file ({type(e).__name__}: {str(e)[:80]})",
                         source=str(path)) from None
    tf = meta.get("truncated_for")
    return Estimator(prior, flows, list(meta["feature_names"]), std["x_mean"], std["x_std"], std["u_mean"],
                     std["u_std"], meta["settings"], meta.get("config", {}), meta.get("training", {}),
                     None if tf is None else np.asarray(tf, dtype=np.float64), proj, std.get("x_quantiles"), summ)
