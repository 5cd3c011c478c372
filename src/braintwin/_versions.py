"""Installed versions of braintwin and its dependencies (one helper for every stage)."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable


def package_versions(packages: Iterable[str]) -> dict[str, str]:
    """``{"braintwin": version, package: version, ...}`` for the installed ``packages``.

    Packages that are not installed are left out, so the result is JSON-ready and
    only states facts.

    >>> sorted(package_versions(["numpy"]))
    ['braintwin', 'numpy']
    """
    from . import __version__

    out = {"braintwin": __version__}
    for dist in packages:
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out
