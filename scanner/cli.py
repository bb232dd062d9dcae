"""The ``vmscan`` command line. Commands parse arguments and print; the work happens elsewhere."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from scanner import __version__
from scanner.errors import VmscanError

INTERNAL_ERROR_EXIT = 3


class VmscanGroup(click.Group):
    """Turns expected failures into one line on stderr and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VmscanError as exc:
            click.echo(f"vmscan: error: {one_line(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("vmscan: interrupted; no output written", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("VMSCAN_DEBUG"):
                raise
            click.echo(
                f"vmscan: internal error: {exc.__class__.__name__}: {one_line(str(exc))} "
                "(set VMSCAN_DEBUG=1 for a traceback)",
                err=True,
            )
            ctx.exit(INTERNAL_ERROR_EXIT)


def one_line(text: str) -> str:
    return " ".join(text.split())[:2000]


@click.group(cls=VmscanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vmscan")
def main() -> None:
    """vmscan: vSphere-to-cloud migration readiness scanner (AVS, VMware Cloud on AWS).

    \b
    Typical use:
      vmscan demo                                   # everything on the bundled sample estate
      vmscan collect --server vc.example.com -o estate.json.gz
      vmscan inventory estate.json.gz
    """


@main.command("inventory")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
def inventory_command(inputs: tuple[str, ...]) -> None:
    """Summarise an inventory: counts, power states, totals.

    INPUT is a vmscan snapshot (.json.gz), an RVTools .xlsx, or a folder of RVTools CSV files;
    several inputs are merged.

    \b
    Example:
      vmscan inventory estate.json.gz
    """
    from scanner.inputs import load_inputs
    from scanner.inventory.summary import format_summary, summarize

    estate, _ = load_inputs(list(inputs))
    click.echo(format_summary(summarize(estate)))


def run() -> None:  # pragma: no cover - console entry for `python -m scanner`
    main(prog_name="vmscan")
    sys.exit(0)
