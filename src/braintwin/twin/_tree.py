"""Re-export: the tree helpers live in :mod:`braintwin._tree` (shared by ``infer`` and ``twin``)."""

from .._tree import canonical_json, canonical_tree, describe_tree, read_tree, trees_equal, write_tree  # noqa: F401

__all__ = ["canonical_tree", "canonical_json", "write_tree", "read_tree", "describe_tree", "trees_equal"]
