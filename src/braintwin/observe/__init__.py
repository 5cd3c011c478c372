"""Observation models: what instruments record from simulated regional activity.

The ``observe`` stage turns a simulation's regional signals into fMRI BOLD,
EEG, MEG and SEEG.  Each observation model is a :class:`~braintwin.simulate.Monitor`
that plugs into the engine and is computed while the simulation runs, and each
has an offline counterpart for signals already recorded::

    import braintwin as bt
    from braintwin.observe import Bold, EEG, SEEG

    conn = bt.Connectome.builtin("tvb76").normalized("max")
    res = bt.simulate(conn, bt.models.MontbrioPazoRoxin(), dt=0.1, duration=60_000,
                      monitors=[Bold(tr=720.0), EEG(period=1.0), SEEG(montage="bipolar")])
    res["bold"].data            # (83, 1, 76), percent signal change
    res["seeg"].labels[:2]      # ('TP1-TP2', 'TP2-TP3')

    bt.observe.get_observer("bold:tr=720,constants=friston2003")   # from a CLI spec

Modules
-------
bold
    Balloon-Windkessel model (:func:`balloon_bold`, :class:`Bold`) with the
    ``"tvb"`` and ``"friston2003"`` constant sets; TVB's kernel convolution
    (:func:`hrf_convolution`).
leadfield
    Lead fields (:class:`LeadField`, built-in ``tvb76`` EEG/MEG, user files) and
    the :class:`EEG` and :class:`MEG` monitors.
seeg
    SEEG contacts, the inverse-square gain, bipolar montages, :class:`SEEG`.
sensors
    Sensor files and the ``tvb-data`` anatomy behind the built-ins.
recordings, electrodes, fmri
    A person's own data (``braintwin[data]``): :func:`read_recording` (EDF/BDF,
    BrainVision, FIF, BIDS; identifying header fields dropped and listed),
    :func:`read_electrodes` (BIDS ``electrodes.tsv`` or ``label x y z``),
    :func:`match_channels`, :func:`seeg_gain_from_parcellation` (NIfTI) and
    :func:`seeg_gain_from_surface`, :func:`read_bold` (TSV/CSV or 4-D NIfTI).
"""

from __future__ import annotations

from .bold import CONSTANTS, BalloonConstants, Bold, balloon_bold, balloon_constants, balloon_steady_state, hrf_convolution, hrf_kernel
from .leadfield import EEG, MEG, LeadField, SensorMonitor, average_reference, builtin_leadfield, load_leadfield, region_gain
from .seeg import SEEG, bipolar_montage, electrode_of, read_contacts, seeg_gain, seeg_leadfield, split_contact
from .sensors import BUILTIN_SENSORS, Sensors, read_sensors
from .spec import OBSERVERS, get_observer
from .recordings import Recording, read_recording
from .electrodes import ChannelMatch, GainReport, match_channels, read_electrodes, seeg_gain_from_parcellation, seeg_gain_from_surface
from .fmri import BoldSeries, read_bold
from ..connectome.parcellation import read_lut, read_parcellation

__all__ = [
    "Bold",
    "EEG",
    "MEG",
    "SEEG",
    "SensorMonitor",
    "get_observer",
    "OBSERVERS",
    "balloon_bold",
    "balloon_constants",
    "balloon_steady_state",
    "BalloonConstants",
    "CONSTANTS",
    "hrf_convolution",
    "hrf_kernel",
    "LeadField",
    "builtin_leadfield",
    "load_leadfield",
    "region_gain",
    "average_reference",
    "seeg_gain",
    "seeg_leadfield",
    "bipolar_montage",
    "electrode_of",
    "split_contact",
    "read_contacts",
    "Sensors",
    "read_sensors",
    "BUILTIN_SENSORS",
    "Recording",
    "read_recording",
    "read_electrodes",
    "match_channels",
    "ChannelMatch",
    "GainReport",
    "seeg_gain_from_parcellation",
    "seeg_gain_from_surface",
    "BoldSeries",
    "read_bold",
    "read_lut",
    "read_parcellation",
]
