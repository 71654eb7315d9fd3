"""What every ``wordlab`` command shares: how failures are reported, and how outputs are written.

**Failures.** Every failure ends in one line on stderr and a non-zero exit status:

=====================================  ======  =============================================
what went wrong                        status  the line
=====================================  ======  =============================================
a user mistake, bad input, a full      1       ``Error: ...`` naming the file, line or word
disk, a locked output (WordlabError),
or the system refused (OSError)
a bad option (click's usage errors)    2       ``Error: ... (see 'wordlab CMD --help')``
Ctrl-C                                 130     ``Interrupted ...``
a bug in wordlab (any other exception) 70      ``Internal error (a bug in wordlab): ...``
                                               with the file the traceback was written to
=====================================  ======  =============================================

``wordlab --debug ...`` shows the traceback instead. Warnings are printed as one
``Warning: ...`` line each (once per message).

**Outputs.** Files a command writes (figures, CSV tables) go through
:func:`wordlab.atomic.atomic_file`: complete or absent, and an existing file is
replaced only with ``--overwrite``.
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
import traceback
import warnings
from pathlib import Path

import click

from ..errors import WordlabError

#: Where to report bugs (printed with every internal error).
ISSUES_URL = "https://github.com/wordlab/wordlab/issues"
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "(no message)"


def _os_error_line(e: OSError) -> str:
    message = e.strerror or str(e)
    names = [str(n) for n in (e.filename, e.filename2) if n]
    if names and not any(n in message for n in names):
        message = f"{' -> '.join(names)}: {message}"
    return _one_line(message)


def _write_crash_report(exc: BaseException) -> Path | None:
    """Write the traceback of an internal error; return the file (None if nowhere)."""
    from ..paths import cache_root
    text = (f"wordlab {_version()} on Python {sys.version.split()[0]}, {sys.platform}\n"
            f"command: {' '.join(sys.argv)}\n"
            f"time: {_dt.datetime.now().isoformat(timespec='seconds')}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in (cache_root() / "crash", Path(os.environ.get("TMPDIR", "/tmp"))):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"wordlab-crash-{stamp}-{os.getpid()}.txt"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _version() -> str:
    from .._version import __version__
    return __version__


def echo_warning(message) -> None:
    """Print a warning as the one line every command uses."""
    click.echo(f"Warning: {_one_line(message)}", err=True)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    echo_warning(message)


class Group(click.Group):
    """A click group whose root turns every failure into one line (see module docstring)."""

    def invoke(self, ctx: click.Context):
        if ctx.parent is not None:          # only the root command reports
            return super().invoke(ctx)
        debug = bool(ctx.params.get("debug"))
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            if not debug:
                warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except click.exceptions.UsageError as e:
                if debug:
                    raise
                where = e.ctx.command_path if e.ctx is not None else ctx.command_path
                click.echo(f"Error: {_one_line(e.format_message())} (see '{where} --help')", err=True)
                ctx.exit(e.exit_code)
            except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
                raise
            except KeyboardInterrupt:
                if debug:
                    raise
                click.echo("Interrupted: outputs are complete or absent; an interrupted training run "
                           "continues with --resume", err=True)
                ctx.exit(EXIT_INTERRUPTED)
            except WordlabError as e:
                if debug:
                    raise
                raise click.ClickException(_one_line(str(e))) from None
            except MemoryError:
                if debug:
                    raise
                raise click.ClickException("out of memory: the machine could not give this command the memory "
                                           "it asked for; try a smaller problem (--max-size, --dim) or another "
                                           "machine") from None
            except OSError as e:
                if debug:
                    raise
                raise click.ClickException(_os_error_line(e)) from None
            except Exception as e:  # a bug of ours: say so, keep the traceback
                if debug:
                    raise
                path = _write_crash_report(e)
                where = f"the traceback is in {path}" if path else "the traceback could not be written"
                click.echo(f"Internal error (a bug in wordlab): {type(e).__name__}: {_one_line(str(e))[:300]}; "
                           f"{where}; please report it at {ISSUES_URL} with that file "
                           "(wordlab --debug ... shows the traceback here)", err=True)
                ctx.exit(EXIT_INTERNAL)


class FiniteFloat(click.ParamType):
    """A float option that must be finite (click's FloatRange lets NaN through), within
    optional bounds."""

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None):
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        import math
        if isinstance(value, float) and math.isfinite(value):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
            if not math.isfinite(number):
                self.fail(f"{value!r} is not a finite number", param, ctx)
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            bounds = f"[{self.low if self.low is not None else '-inf'}, {self.high if self.high is not None else 'inf'}]"
            self.fail(f"{value!r} is not in {bounds}", param, ctx)
        return number


def overwrite_option(what: str = "the output"):
    """``--overwrite``: replace an existing output (a wordlab store, or the single file written)."""
    return click.option("--overwrite", is_flag=True,
                        help=f"Replace {what} if it exists (only a wordlab output of the same kind, or a file; "
                             "never another directory).")


def check_output_file(path: str | None, overwrite: bool) -> None:
    """Refuse an existing output file before any work (written later by :func:`save_figure`)."""
    if path:
        from ..atomic import check_target
        check_target(Path(path), overwrite, directory=False, kinds=())


def save_figure(fig, path: str, overwrite: bool, dpi: int = 120) -> None:
    """Write a matplotlib figure atomically; the extension picks the format."""
    from ..atomic import atomic_file
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    if fmt not in fig.canvas.get_supported_filetypes():
        raise WordlabError(f"{path}: matplotlib cannot write .{fmt} files; use one of "
                           f"{', '.join(sorted(fig.canvas.get_supported_filetypes()))}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)       # -o figures/new/x.png: make the folder
    with atomic_file(path, "wb", overwrite=overwrite) as fh:
        fig.savefig(fh, dpi=dpi, format=fmt)


def write_text_file(path: str, text: str, overwrite: bool) -> None:
    """Write a text output (a CSV table) atomically."""
    from ..atomic import atomic_file
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "w", overwrite=overwrite, encoding="utf-8", newline="") as fh:
        fh.write(text)
