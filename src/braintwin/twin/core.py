"""The :class:`Twin`: one person's virtual brain, kept in one HDF5 file.

A twin gathers everything needed to re-run, check and extend a personalised
model:

* the **connectome** (:class:`~braintwin.Connectome`);
* the **model** (:class:`~braintwin.models.Model`, with global and per-region
  parameter values) and its **coupling** (:class:`~braintwin.models.Coupling`);
* the **simulation** settings (``dt``, ``speed``, ``method``, ``noise``, ...);
* the **observation** model (gain / lead field, contact labels, TR, ...);
* the **data** features the twin was fitted to;
* the **posterior** (:class:`~braintwin.twin.Posterior`, from NUTS now or an
  amortised estimator later: any method plugs in the same way) with its
  diagnostics;
* pseudonymous **metadata** (no direct identifiers, see
  :mod:`braintwin.twin.privacy`);
* the **provenance** (software versions, configuration, seeds, SHA-256 of every
  input file, timestamps of creation and of each update).

Hooks for later stages: :attr:`Twin.posterior` may be replaced (validated), and
:meth:`Twin.add_update` appends to :attr:`Twin.history`.  :meth:`Twin.update`
re-fits the twin on a new recording with the procedure its posterior names
(``posterior.info["updater"]``, the name of an updater a workflow registered
with :func:`braintwin.twin.register_updater`, e.g. the Bayesian VEP's
:func:`braintwin.vep.workflow.update_twin`), so the twin stage needs no
knowledge of any workflow.  What-if predictions on a twin are made by the
later stage: ``bt.whatif.predict(twin, "resect=lPHC")`` (the twin never
imports ``whatif``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..connectome import Connectome, as_connectome
from ..errors import InputError
from ..models import Coupling, Model, get_coupling, get_model
from ._file import read_parts, write_file
from ._tree import canonical_tree, describe_tree, trees_equal
from .posterior import Posterior
from .privacy import check_metadata, check_subject_id, new_subject_id
from .provenance import check_provenance, hash_inputs, new_provenance, update_record
from .updaters import get_updater

__all__ = ["Twin"]


class Twin:
    """A virtual brain twin: connectome, model, observation, data, posterior and provenance.

    Parameters
    ----------
    subject_id : str
        Pseudonym of the person (``"sub-001"``, ``"P17"``; see
        :func:`~braintwin.twin.new_subject_id`).  Names, dates and e-mail
        addresses are refused.
    connectome : Connectome
    model : Model
        With its parameter values (scalars or one value per region).
    coupling : Coupling or str, optional
        Default: the model's default coupling.
    simulation : mapping, optional
        Simulation settings, e.g. ``{"dt": 0.05, "speed": 3.0, "method":
        "heun", "duration": 4000.0, "noise": [0.0, 1e-3], "monitors":
        ["tavg:1.0"]}``; arrays allowed.
    observation : mapping, optional
        The observation model, e.g. ``{"kind": "seeg", "gain": (n_contacts,
        n_regions) array, "contacts": [...], "tr_ms": 2000.0}``.  A ``gain``
        must have one column per region (and one row per ``contacts`` label).
    data : mapping, optional
        The data features the twin is fitted to, e.g. ``{"seeg_envelope":
        (T, n_contacts) array, "time_ms": (T,) array}``.  Nested dicts allowed.
    posterior : Posterior, optional
    metadata : mapping, optional
        Only the keys of :data:`~braintwin.twin.privacy.ALLOWED_METADATA`
        (``age_years``, ``sex``, ``diagnosis_code``, ``site``, ``atlas``, ...).
    provenance : mapping, optional
        An existing provenance record (when reading a file).  By default a new
        one is stamped now with the running software's versions.
    config : mapping, optional
        The full configuration the twin is built with (new provenance only).
    seeds : int, list or dict, optional
        Seeds used to build the twin (new provenance only).

    Raises
    ------
    InputError
        For an identifying subject ID or metadata, model parameters that do not
        fit the connectome, an incompatible coupling, a gain with the wrong
        number of columns, or values that cannot be stored.

    Examples
    --------
    >>> import braintwin as bt
    >>> from braintwin.twin import Twin
    >>> conn = bt.Connectome.builtin("tvb76")
    >>> twin = Twin("sub-001", conn, bt.models.Epileptor2D(x0=-2.2), metadata={"age_years": 34})
    >>> twin.save("sub-001.twin.h5")  # doctest: +SKIP
    >>> same = Twin.load("sub-001.twin.h5")  # doctest: +SKIP
    """

    def __init__(
        self,
        subject_id: str,
        connectome: Connectome,
        model: Model,
        coupling: Coupling | str | None = None,
        *,
        simulation: Mapping[str, Any] | None = None,
        observation: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        posterior: Posterior | None = None,
        metadata: Mapping[str, Any] | None = None,
        provenance: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        seeds: Any = None,
    ):
        self.subject_id: str = check_subject_id(subject_id)
        if not isinstance(connectome, Connectome):
            raise InputError(
                f"expected a braintwin.Connectome, got {type(connectome).__name__} (Twin.build accepts names and files)",
                field="connectome",
            )
        self.connectome: Connectome = connectome
        self.model: Model = _check_model(model, connectome)
        self.coupling: Coupling = _check_coupling(coupling, self.model)
        self.simulation: dict[str, Any] = canonical_tree(simulation, "simulation")
        self.observation: dict[str, Any] = canonical_tree(observation, "observation")
        _check_observation(self.observation, connectome.n_regions)
        self.data: dict[str, Any] = canonical_tree(data, "data")
        self.metadata: dict[str, Any] = check_metadata(metadata)
        if provenance is None:
            self.provenance: dict[str, Any] = new_provenance(config, seeds)
        else:
            if config is not None or seeds is not None:
                raise InputError("give config and seeds only for a new twin (without provenance)", field="provenance")
            self.provenance = check_provenance(provenance)
        self._posterior: Posterior | None = None
        self.posterior = posterior
        #: The file this twin was last read from or saved to (``None`` if neither).
        self.source: str | None = None

    # ----------------------------------------------------------------- build
    @classmethod
    def build(
        cls,
        connectome: Connectome | str | os.PathLike,
        model: Model | str,
        *,
        subject_id: str | None = None,
        model_params: Mapping[str, Any] | None = None,
        coupling: Coupling | str | None = None,
        coupling_params: Mapping[str, Any] | None = None,
        simulation: Mapping[str, Any] | None = None,
        observation: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        posterior: Posterior | None = None,
        metadata: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        seeds: Any = None,
        inputs: Mapping[str, Any] | Iterable[Any] | None = None,
    ) -> "Twin":
        """Build a twin from names, files or objects, recording input checksums.

        Parameters
        ----------
        connectome : Connectome, str or path
            An object, a built-in name (``"tvb76"``) or a connectome file (its
            SHA-256 is recorded).
        model : Model or str
            An instance or a model name (``"Epileptor2D"``).
        subject_id : str, optional
            Default: a fresh :func:`~braintwin.twin.new_subject_id`.
        model_params, coupling_params : mapping, optional
            Parameter values (per-region arrays allowed for the model; ``G`` or
            ``a`` for the coupling scale).
        coupling : Coupling or str, optional
            Default: the model's default coupling.
        simulation, observation, data, posterior, metadata, config, seeds
            As for :class:`Twin`.
        inputs : mapping of str to path, or iterable of paths, optional
            Further input files (recordings, lead fields, ...) whose SHA-256 is
            recorded in the provenance.

        Returns
        -------
        Twin
        """
        files: list[Any] = []
        if isinstance(connectome, (str, os.PathLike)) and Path(connectome).is_file():
            files.append(connectome)  # provenance: the file the connectome came from
        connectome = as_connectome(connectome)
        model = get_model(model, **dict(model_params or {}))
        coupling = get_coupling(coupling, model=model, **dict(coupling_params or {}))
        twin = cls(
            new_subject_id() if subject_id is None else subject_id,
            connectome,
            model,
            coupling,
            simulation=simulation,
            observation=observation,
            data=data,
            posterior=posterior,
            metadata=metadata,
            config=config,
            seeds=seeds,
        )
        for f in files:
            twin.record_input(f)
        if inputs is not None:
            for name, digest in hash_inputs(inputs).items():
                twin._add_input(name, digest, None)
        return twin

    # ------------------------------------------------------------- accessors
    @property
    def posterior(self) -> Posterior | None:
        """The posterior (``None`` before a fit).  Replaceable by any :class:`Posterior`."""
        return self._posterior

    @posterior.setter
    def posterior(self, value: Posterior | None) -> None:
        if value is not None and not isinstance(value, Posterior):
            raise InputError(
                f"expected a braintwin.twin.Posterior or None, got {type(value).__name__} "
                "(wrap sampler output with Posterior(...), Posterior.from_chains or Posterior.from_nuts)",
                field="posterior",
            )
        self._posterior = value

    @property
    def n_regions(self) -> int:
        """Number of regions of the connectome."""
        return self.connectome.n_regions

    @property
    def history(self) -> list[dict[str, Any]]:
        """Update records, oldest first (the same list as ``provenance["updates"]``)."""
        return self.provenance["updates"]

    @property
    def created_utc(self) -> str:
        """When the twin was created (ISO 8601, UTC)."""
        return self.provenance["created_utc"]

    # ------------------------------------------------------------ provenance
    def record_input(self, path: str | os.PathLike, name: str | None = None) -> str:
        """Record the SHA-256 of an input file in the provenance.

        Only the file's name (or ``name``) is kept, not its folder: folder names
        often carry a person's name.

        Parameters
        ----------
        path : str or path
        name : str, optional
            Key in ``provenance["inputs"]`` (default: the file's name).

        Returns
        -------
        str
            The hex digest.

        Raises
        ------
        InputError
            If the file is missing, or another file was recorded under that name.
        """
        (key, digest), = hash_inputs({name or Path(path).name: path}).items()
        self._add_input(key, digest, path)
        return digest

    def _add_input(self, name: str, digest: str, path: Any) -> None:
        inputs = self.provenance["inputs"]
        if inputs.get(name, digest) != digest:
            raise InputError(
                f"another file named {name!r} (different SHA-256) is already recorded; pass name=... to tell them apart",
                source=None if path is None else str(path),
                field="provenance.inputs",
            )
        inputs[name] = digest

    def add_update(
        self,
        what: str,
        *,
        config: Mapping[str, Any] | None = None,
        seeds: Any = None,
        inputs: Mapping[str, Any] | Iterable[Any] | None = None,
    ) -> dict[str, Any]:
        """Append an update record (time, what, configuration, seeds, input SHA-256) to :attr:`history`.

        Parameters
        ----------
        what : str
            What changed, in a few words (e.g. ``"posterior: nuts, 4 chains"``).
        config : mapping, optional
            The step's configuration.
        seeds : int, list or dict, optional
        inputs : mapping of str to path, or iterable of paths, optional
            Files the step read (their SHA-256 is recorded).

        Returns
        -------
        dict
            The record appended.
        """
        record = update_record(what, config=config, seeds=seeds, inputs=inputs)
        self.provenance["updates"].append(record)
        return record

    def set_posterior(
        self,
        posterior: Posterior,
        *,
        what: str | None = None,
        config: Mapping[str, Any] | None = None,
        seeds: Any = None,
        inputs: Mapping[str, Any] | Iterable[Any] | None = None,
    ) -> dict[str, Any]:
        """Replace the posterior and record the change in :attr:`history`.

        Parameters
        ----------
        posterior : Posterior
            From any method (NUTS, amortised estimator, ...).
        what : str, optional
            Default ``"posterior: <method>, <n_draws> draws"``.
        config, seeds, inputs
            As for :meth:`add_update`.

        Returns
        -------
        dict
            The update record.
        """
        self.posterior = posterior
        what = what or f"posterior: {posterior.method}, {posterior.n_draws} draws"
        return self.add_update(what, config=config, seeds=seeds, inputs=inputs)

    def update(self, new_data: Any, **kwargs: Any) -> Any:
        """Update the twin with a new recording of the same person: re-run its fit on it.

        A twin mirrors its person.  The fit that made the current posterior is
        run again on ``new_data``, with the person-level parameters' prior set
        to a density fitted to the current posterior and each recording's own
        parameters back at their original priors; the posterior is replaced and
        the update is appended to :attr:`history`.  Which fit is run is recorded
        with the posterior (``posterior.info["updater"]``: the name under which
        the workflow that built the twin registered its updater with
        :func:`braintwin.twin.register_updater`), so any posterior, from NUTS
        or an amortised estimator, plugs in the same way.

        Parameters
        ----------
        new_data : array or mapping
            The new recording's data (for an epilepsy twin, the SEEG log-power
            envelope ``(n_times, n_contacts)``).
        **kwargs
            Passed to the updater (e.g. ``num_samples``, ``progress``).

        Returns
        -------
        object
            The updater's fit result (e.g. a :class:`braintwin.vep.VEPFit`,
            with its diagnostics).

        Raises
        ------
        InputError
            If the twin has no posterior, or its posterior names no updater.

        Examples
        --------
        >>> fit = twin.update(new_envelope, progress=True)  # doctest: +SKIP
        >>> twin.history[-1]["what"]  # doctest: +SKIP
        'update 1: new SEEG recording (150 samples), prior fitted to the posterior'
        """
        if self.posterior is None:
            raise InputError("the twin has no posterior yet: fit it before updating", field="posterior")
        spec = self.posterior.info.get("updater")
        if not isinstance(spec, str) or not spec:
            raise InputError(
                f"this twin's posterior ({self.posterior.method}) does not say how to re-fit it "
                "(posterior.info['updater'] is missing)", field="posterior.info.updater")
        return get_updater(spec)(self, new_data, **kwargs)

    # ------------------------------------------------------------ validation
    def validate(self) -> "Twin":
        """Check every part again (after in-place edits), canonicalising stored values.

        Called by :meth:`save`, so identifiers slipped into ``metadata`` after
        construction are still refused.

        Returns
        -------
        Twin
            ``self``.

        Raises
        ------
        InputError
        """
        check_subject_id(self.subject_id)
        if not isinstance(self.connectome, Connectome):
            raise InputError(f"expected a braintwin.Connectome, got {type(self.connectome).__name__}", field="connectome")
        _check_model(self.model, self.connectome)
        self.coupling = _check_coupling(self.coupling, self.model)
        self.simulation = canonical_tree(self.simulation, "simulation")
        self.observation = canonical_tree(self.observation, "observation")
        _check_observation(self.observation, self.n_regions)
        self.data = canonical_tree(self.data, "data")
        self.metadata = check_metadata(self.metadata)
        self.provenance = check_provenance(self.provenance)
        self.posterior = self._posterior
        return self

    # ------------------------------------------------------------------- I/O
    def save(self, path: str | os.PathLike) -> Path:
        """Write the twin to one HDF5 file, atomically, with checksums.

        See :func:`braintwin.twin.write_twin`.

        Parameters
        ----------
        path : str or path

        Returns
        -------
        pathlib.Path
        """
        self.validate()
        return write_file(path, self)

    @classmethod
    def load(cls, path: str | os.PathLike, *, verify: bool = True) -> "Twin":
        """Read a twin file, verifying its checksums.

        See :func:`braintwin.twin.read_twin`.

        Parameters
        ----------
        path : str or path
        verify : bool, optional
            Verify the file and content checksums (default).  ``False`` only to
            salvage a damaged file.

        Returns
        -------
        Twin

        Raises
        ------
        InputError
            For a missing, corrupted, truncated or foreign file.
        """
        return read_parts(path, cls, verify=verify)

    # --------------------------------------------------------------- summary
    def info(self) -> dict[str, Any]:
        """A JSON-ready summary (for ``braintwin twin info``).

        Returns
        -------
        dict
            Subject, connectome, model, coupling, simulation, observation and
            data outlines, posterior summary, metadata and provenance highlights.
        """
        conn = self.connectome
        prov = self.provenance
        return {
            "subject_id": self.subject_id,
            "source": self.source,
            "connectome": {
                "n_regions": conn.n_regions,
                "n_edges": conn.n_edges,
                "labels": list(conn.labels[:5]) + (["..."] if conn.n_regions > 5 else []),
            },
            "model": {
                "name": self.model.name,
                "parameters": {
                    k: (v if np.ndim(v) == 0 else {"per_region": True, "min": float(np.min(v)), "max": float(np.max(v))})
                    for k, v in self.model.values.items()
                },
            },
            "coupling": {"name": self.coupling.name, "parameters": dict(self.coupling.values)},
            "simulation": describe_tree(self.simulation),
            "observation": describe_tree(self.observation),
            "data": describe_tree(self.data),
            "posterior": None if self.posterior is None else self.posterior.summary(),
            "metadata": dict(self.metadata),
            "created_utc": prov["created_utc"],
            "saved_utc": prov.get("saved_utc"),
            "n_updates": len(prov["updates"]),
            "last_update": prov["updates"][-1]["what"] if prov["updates"] else None,
            "software": dict(prov["software"]),
            "inputs": dict(prov["inputs"]),
        }

    def summary_text(self) -> str:
        """A few lines of plain text describing the twin.

        Returns
        -------
        str
        """
        info = self.info()
        lines = [
            f"twin {self.subject_id}" + (f" ({self.source})" if self.source else ""),
            f"  connectome: {self.n_regions} regions, {self.connectome.n_edges} edges",
            f"  model: {self.model.name}; coupling: {self.coupling!r}",
        ]
        per_region = [k for k, v in self.model.values.items() if np.ndim(v) > 0]
        if per_region:
            lines.append(f"  per-region parameters: {', '.join(per_region)}")
        if self.simulation:
            lines.append("  simulation: " + ", ".join(f"{k}={_short(v)}" for k, v in self.simulation.items()))
        if self.observation:
            lines.append("  observation: " + ", ".join(f"{k}={_short(v)}" for k, v in self.observation.items()))
        if self.data:
            lines.append("  data: " + ", ".join(f"{k}={_short(v)}" for k, v in self.data.items()))
        if self.posterior is None:
            lines.append("  posterior: none")
        else:
            p = self.posterior
            lines.append(
                f"  posterior: {p.method}, {p.n_draws} draws, {p.n_chains} chain(s); "
                + ", ".join(f"{k}{list(s) if s else ''}" for k, s in p.shapes.items())
            )
        if self.metadata:
            lines.append("  metadata: " + ", ".join(f"{k}={v}" for k, v in self.metadata.items()))
        lines.append(
            f"  created {info['created_utc']} with braintwin {info['software'].get('braintwin')}; "
            f"{info['n_updates']} update(s); {len(info['inputs'])} input file(s) hashed"
        )
        return "\n".join(lines)

    def equals(self, other: Any, *, provenance: bool = True) -> bool:
        """Exact equality of every part (arrays: dtype, shape and values).

        Parameters
        ----------
        other : object
        provenance : bool, optional
            Compare the provenance too (default).

        Returns
        -------
        bool
        """
        if not isinstance(other, Twin):
            return False
        a, b = self.connectome, other.connectome
        same_conn = a.labels == b.labels and all(
            trees_equal(getattr(a, k), getattr(b, k))
            for k in ("weights", "tract_lengths", "centres", "hemispheres", "cortical")
        ) and all(
            (getattr(a, k) is None and getattr(b, k) is None)
            or (getattr(a, k) is not None and getattr(b, k) is not None and trees_equal(getattr(a, k), getattr(b, k)))
            for k in ("areas", "orientations")
        )
        same_post = (self.posterior is None and other.posterior is None) or (
            self.posterior is not None and self.posterior.equals(other.posterior)
        )
        return (
            self.subject_id == other.subject_id
            and same_conn
            and self.model.name == other.model.name
            and trees_equal(_model_values(self.model), _model_values(other.model))
            and self.coupling.name == other.coupling.name
            and self.coupling.values == other.coupling.values
            and trees_equal(self.simulation, other.simulation)
            and trees_equal(self.observation, other.observation)
            and trees_equal(self.data, other.data)
            and trees_equal(self.metadata, other.metadata)
            and same_post
            and (not provenance or trees_equal(self.provenance, other.provenance))
        )

    def copy(self) -> "Twin":
        """An independent deep copy (same provenance, same subject).

        Returns
        -------
        Twin
        """
        return copy.deepcopy(self)

    def __repr__(self) -> str:
        post = "none" if self.posterior is None else f"{self.posterior.method}, {self.posterior.n_draws} draws"
        return (
            f"Twin({self.subject_id!r}: {self.n_regions} regions, {self.model.name}, {self.coupling.name}; "
            f"posterior {post}; {len(self.history)} update(s))"
        )


# ---------------------------------------------------------------- helpers
def _model_values(model: Model) -> dict[str, Any]:
    return {k: (np.asarray(v, dtype=float) if np.ndim(v) else float(v)) for k, v in model.values.items()}


def _check_model(model: Any, connectome: Connectome) -> Model:
    if not isinstance(model, Model):
        raise InputError(
            f"expected a braintwin.models.Model instance, got {type(model).__name__} (Twin.build accepts names)",
            field="model",
        )
    model.param_array(connectome.n_regions)  # raises if a per-region array has the wrong length
    return model


def _check_coupling(coupling: Any, model: Model) -> Coupling:
    if coupling is None or isinstance(coupling, str):
        coupling = get_coupling(coupling, model=model)
    if not isinstance(coupling, Coupling):
        raise InputError(f"expected a braintwin.models.Coupling, got {type(coupling).__name__}", field="coupling")
    coupling.check(len(model.coupling_vars), model.name)
    return coupling


def _check_observation(obs: Mapping[str, Any], n_regions: int) -> None:
    gain = obs.get("gain")
    if gain is None:
        return
    if not isinstance(gain, np.ndarray) or gain.ndim != 2 or gain.dtype.kind not in "iuf":
        raise InputError("expected a real (n_sensors, n_regions) array", field="observation.gain")
    if gain.shape[1] != n_regions:
        raise InputError(f"{gain.shape[1]} columns for {n_regions} regions (expected one column per region)", field="observation.gain")
    contacts = obs.get("contacts")
    if contacts is not None and (not isinstance(contacts, list) or len(contacts) != gain.shape[0]):
        n = len(contacts) if isinstance(contacts, list) else type(contacts).__name__
        raise InputError(f"{n} contact labels for a gain with {gain.shape[0]} rows", field="observation.contacts")


def _short(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array{list(v.shape)}" if v.ndim else repr(v.item())
    if isinstance(v, dict):
        return "{" + ", ".join(v) + "}"
    if isinstance(v, list) and len(v) > 4:
        return f"[{len(v)} items]"
    return repr(v)
