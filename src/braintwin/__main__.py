"""``python -m braintwin`` runs the command line."""

from .cli import run

run()
