"""Re-export: :class:`Posterior` lives in :mod:`braintwin.infer.posterior` (inference makes it; the twin stores it)."""

from ..infer.posterior import Posterior  # noqa: F401

__all__ = ["Posterior"]
