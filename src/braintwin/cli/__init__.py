"""The ``braintwin`` command line: composes the pipeline's stages, adds none of its own.

Each sub-command lives in its own module and registers on :data:`app`.  User
errors (:class:`~braintwin.errors.BraintwinError`, bad options) print one line to
stderr and exit with status 2; ``--verbose`` shows the traceback.
"""

from __future__ import annotations

import sys

import typer

try:  # typer >= 0.20 vendors click; older versions use click itself
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as _cx

# typer's own Exit/Abort, plus click's where typer re-exports those
_EXIT = tuple({typer.Exit, getattr(_cx, "Exit", typer.Exit)})
_ABORT = tuple({typer.Abort, getattr(_cx, "Abort", typer.Abort)})

from .. import __version__
from ..errors import BraintwinError

app = typer.Typer(
    name="braintwin",
    help="Virtual Brain Twins: connectomes, fast network simulation, personalisation and what-if scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"verbose": False}


def _version(value: bool):
    if value:
        typer.echo(f"braintwin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show full tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
):
    """Virtual Brain Twins from the command line."""
    _state["verbose"] = verbose


def _register() -> None:
    from . import connectome as _c  # noqa: F401  (registers commands)
    from . import simulate as _s  # noqa: F401
    from . import demo as _d  # noqa: F401
    from . import analyse as _a  # noqa: F401
    from . import vep as _v  # noqa: F401
    from . import twin as _t  # noqa: F401
    from . import data as _data  # noqa: F401
    from . import sbi as _sbi  # noqa: F401
    from . import disorders as _dis  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``braintwin`` script. Returns the exit status."""
    _register()
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv or "-v" in argv
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=argv, prog_name="braintwin", standalone_mode=False)
        return int(rv or 0) if isinstance(rv, int) else 0
    except _EXIT as e:
        return e.exit_code
    except _ABORT:
        print("braintwin: aborted", file=sys.stderr)
        return 130
    except _cx.UsageError as e:
        if verbose:
            raise
        ctx = f"{e.ctx.command_path}: " if e.ctx is not None else "braintwin: "
        print(f"{ctx}error: {e.format_message()}", file=sys.stderr)
        return 2
    except _cx.ClickException as e:
        if verbose:
            raise
        print(f"braintwin: error: {e.format_message()}", file=sys.stderr)
        return 2
    except (BraintwinError, FileNotFoundError, IsADirectoryError, PermissionError) as e:
        if verbose:
            raise
        msg = str(e) if isinstance(e, BraintwinError) else f"{getattr(e, 'filename', '') or ''}: {e.strerror or e}"
        print(f"braintwin: error: {msg}", file=sys.stderr)
        return 2


def run() -> None:  # pragma: no cover - console glue
    sys.exit(main())
