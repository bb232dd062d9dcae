"""The ``vmscan`` command line. Commands parse arguments and print; the work happens elsewhere."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click

from scanner import __version__
from scanner.errors import VmscanError, is_rust_panic
from scanner.gcpause import cyclic_gc_paused, no_last_collection_at_exit
from scanner.textsafety import one_line, terminal_safe

INTERNAL_ERROR_EXIT = 3
# Per SOAP call; one RetrievePropertiesEx page of a large vCenter can take minutes.
SOAP_TIMEOUT_DEFAULT_S = 900.0
# A week: past what the deadline timer can wait for (1e308 s overflowed it: a thread traceback, exit 3).
SOAP_TIMEOUT_MAX_S = 7 * 24 * 3600.0
TIMEOUT_OPTION_HELP = "Seconds each vCenter call may take in total before it is retried (default 900)."


# click 8.2+ shows the group's help for a bare `vmscan` as a usage error; that stays help.
_HELP_AS_ERROR: tuple[type[BaseException], ...] = tuple(
    cls for cls in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if cls is not None
)


def usage_error_exit(exc: click.UsageError) -> click.exceptions.Exit:
    """Print a usage error as one line naming the command and its --help; the Exit to raise (code 2).

    click prints three lines (Usage / Try / Error) with the error last, where every other vmscan
    error is one `vmscan...: error:` line (docs/hardening.md).
    """
    names = []
    ctx = exc.ctx
    while ctx is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    # The root's name is whatever launched it (`vmscan`, `python -m scanner`, a test runner): say vmscan.
    command = " ".join(["vmscan", *reversed(names[:-1])])
    message = one_line(exc.format_message())
    message = message[:-1] if message.endswith(".") else message
    click.echo(f"{command}: error: {message} (see {command} --help)", err=True)
    return click.exceptions.Exit(exc.exit_code)


class VmscanGroup(click.Group):
    """Turns expected failures into one line on stderr and exit code 2, never a traceback."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        # The group's own options (`vmscan --foo`); a command's are parsed in invoke() below.
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            if isinstance(exc, _HELP_AS_ERROR):
                raise
            raise usage_error_exit(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        from scanner import fsutil

        fsutil.start_publish_log()
        try:
            return super().invoke(ctx)
        except VmscanError as exc:
            written = f" ({fsutil.output_note()})" if fsutil.published_files() else ""
            click.echo(f"vmscan: error: {one_line(str(exc))}{written}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(f"vmscan: interrupted; {fsutil.output_note()}", err=True)
            ctx.exit(130)
        except click.UsageError as exc:
            if isinstance(exc, _HELP_AS_ERROR):
                raise
            raise usage_error_exit(exc) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`vmscan analyze ... | head`): nothing left to tell, and no traceback
            # when Python flushes stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(141)
        except MemoryError:
            # Only an input can be this big: say which limits keep it bounded (docs/hardening.md).
            click.echo("vmscan: error: out of memory reading or processing the input; it is larger than this "
                       f"machine can hold (see the size limits in docs/hardening.md); {fsutil.output_note()}",
                       err=True)
            ctx.exit(2)
        except OSError as exc:
            # A path the system refuses (a name over 255 bytes, a read-only or full file system) is
            # about the user's paths or machine, not a vmscan bug; without a file name it may be one.
            if exc.filename is None or os.environ.get("VMSCAN_DEBUG"):
                if os.environ.get("VMSCAN_DEBUG"):
                    raise
                internal_error(ctx, exc)
            written = f" ({fsutil.output_note()})" if fsutil.published_files() else ""
            click.echo(f"vmscan: error: {one_line(str(exc.filename))}: {one_line(exc.strerror or str(exc))}"
                       f"{written}", err=True)
            ctx.exit(2)
        except RecursionError:
            click.echo(f"vmscan: error: an input is nested too deeply to read; {fsutil.output_note()}", err=True)
            ctx.exit(2)
        except Exception as exc:
            if os.environ.get("VMSCAN_DEBUG"):
                raise
            internal_error(ctx, exc)
        except BaseException as exc:
            # A panic inside a Rust extension (calamine) is pyo3's PanicException, a BaseException:
            # still a vmscan bug (inputs that cause one are caught where it is read), not a traceback.
            if not is_rust_panic(exc) or os.environ.get("VMSCAN_DEBUG"):
                raise
            internal_error(ctx, exc)


def internal_error(ctx: click.Context, exc: BaseException) -> None:
    """End the command with one 'internal error' line (a vmscan bug, not the user's input)."""
    click.echo(f"vmscan: internal error: {exc.__class__.__name__}: {one_line(str(exc))} "
               "(set VMSCAN_DEBUG=1 for a traceback)", err=True)
    ctx.exit(INTERNAL_ERROR_EXIT)


def with_options(options: list[Any]) -> Any:
    """Apply a shared list of click options (in order) to a command."""

    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


@click.group(cls=VmscanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vmscan")
@click.pass_context
def main(ctx: click.Context) -> None:
    """vmscan: vSphere-to-cloud migration readiness scanner (AVS, VMware Cloud on AWS).

    \b
    Typical use:
      vmscan report rvtools.xlsx --out reports/     # HTML + Excel from an RVTools export
      vmscan scan --server vc.example.com --user ro@vsphere.local --out reports/
      vmscan demo                                   # everything on the bundled sample estate
      vmscan collect --server vc.example.com -o estate.json.gz
      vmscan inventory estate.json.gz
      vmscan analyze estate.json.gz -o assessment.json
    """
    # One pause of the cyclic collector for the whole command: its steps keep hundreds of thousands
    # of objects alive and make next to no cycles, so each collection between the steps would walk
    # them all for nothing (measured: a quarter of writing a 10,000-VM assessment JSON).
    ctx.with_resource(cyclic_gc_paused())
    no_last_collection_at_exit()


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
    from scanner.inventory.summary import format_issues, format_summary, summarize

    estate, _ = load_inputs(list(inputs))
    click.echo(terminal_safe(format_summary(summarize(estate))))
    if estate.collection_issues:
        click.echo(terminal_safe(format_issues(estate)))


@main.command("export")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--format", "fmt", type=click.Choice(["rvtools"]), default="rvtools", show_default=True,
              help="Output layout.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Workbook to write (.xlsx); written atomically.")
def export_command(inputs: tuple[str, ...], fmt: str, output: str) -> None:
    """Write an inventory as an RVTools-4.x-compatible workbook.

    INPUT is a vmscan snapshot, an RVTools .xlsx or a folder of RVTools CSV files; several inputs
    are merged. Tools that import RVTools exports (and vmscan itself) can read the result.

    \b
    Example:
      vmscan export estate.json.gz --format rvtools -o estate-rvtools.xlsx
    """
    from scanner.errors import OutputError
    from scanner.inputs import load_inputs
    from scanner.rvtools.writer import write_rvtools

    if not output.lower().endswith(".xlsx"):
        raise OutputError(f"{output}: the RVTools export must be an .xlsx file")
    estate, _ = load_inputs(list(inputs))
    counts = write_rvtools(estate, output)
    click.echo(f"wrote {output}: {counts.get('vInfo', 0)} VMs, {len(counts)} tabs ({fmt} layout)", err=True)


@main.command("anonymize")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", required=True, metavar="OUT.json.gz", help="Anonymized snapshot to write.")
@click.option("--map", "map_path", required=True, metavar="MAPFILE",
              help="Secret map file (key + pseudonym -> original). Reused if it exists, so pseudonyms stay stable.")
@click.option("--hide-attribute-keys", is_flag=True,
              help="Also replace custom attribute names (values are always replaced).")
def anonymize_command(inputs: tuple[str, ...], output: str, map_path: str, hide_attribute_keys: bool) -> None:
    """Write a copy of the inventory with names, IPs, notes and paths replaced by pseudonyms.

    Share OUT with consultants; keep MAPFILE. Reports made from OUT can be turned back into real
    names with `vmscan deanonymize`. See docs/anonymize.md.

    \b
    Example:
      vmscan anonymize estate.json.gz -o shared.json.gz --map estate.map.json
    """
    from pathlib import Path

    from scanner.anonymize import AnonymizationMap, anonymize_estate
    from scanner.errors import InputError
    from scanner.fsutil import ensure_writable_folder, refuse_non_regular_target, resolved
    from scanner.inputs import load_inputs
    from scanner.inventory.io import save_estate

    # Before any work: the map is written first and must not exist without its snapshot (an output
    # folder that is missing or read-only was found only after the map had been written).
    for target in (Path(output), Path(map_path)):
        refuse_non_regular_target(target)
        ensure_writable_folder(target.parent)
    out, secret = resolved(output), resolved(map_path)
    if out == secret:
        raise InputError(f"{output}: the output and the map file must be different files")
    for item in inputs:
        if resolved(item) in (out, secret):
            raise InputError(f"{item}: an input cannot also be the output or the map file")
    estate, _ = load_inputs(list(inputs))
    mapping = AnonymizationMap.load_or_new(map_path)
    anonymized = anonymize_estate(estate, mapping, hide_attribute_keys=hide_attribute_keys)
    # The map first: an anonymized file must never exist without the key that reverses it.
    mapping.save(map_path)
    save_estate(anonymized, output)
    click.echo(
        f"anonymized {len(anonymized.all_vms())} VMs into {output}; "
        f"map {map_path} holds {len(mapping.entries)} pseudonyms (secret: do not share it)",
        err=True,
    )


def prompt_or_explain(text: str, missing: str, hide_input: bool) -> str:
    """Prompt on stderr; when stdin ends without an answer (a CI job, cron), say what to pass instead.

    click turns end-of-input into a bare "Aborted!" and exit 1 (the --fail-on code); a missing
    credential is a usage problem (exit 2) with a fix.
    """
    from scanner.errors import InputError

    try:
        return str(click.prompt(text, hide_input=hide_input, err=True))
    except click.Abort:
        if sys.stdin is not None and sys.stdin.isatty():
            raise  # Ctrl-C at an interactive prompt
        raise InputError(f"{missing} and no terminal to prompt on; pass --user USER and --password-env VAR "
                         "(the name of an environment variable holding the password)") from None


def transport_warnings(servers: list[str], insecure: bool) -> list[str]:
    """One line per way the password could be read on the wire: plain HTTP, unverified TLS."""
    from scanner.collector.session import parse_server
    from scanner.errors import VmscanError

    warnings = []
    plain = []
    for text in servers:
        try:
            endpoint = parse_server(text)
        except VmscanError:
            continue  # reported with its own message when collected
        if endpoint.scheme == "http":
            plain.append(endpoint.display)
    if plain:
        warnings.append(f"{', '.join(plain)}: plain HTTP, the login and the inventory travel unencrypted")
    if insecure and len(plain) < len(servers):
        warnings.append("--insecure: the vCenter TLS certificate is not verified; whoever sits on the network "
                        "path can pose as vCenter and read the login")
    return warnings


def collect_live(server: str | list[str], user: str | None, password_env: str | None, insecure: bool,
                 ca_file: str | None, page_size: int | None, perf_days: int, parser: str = "stream",
                 timeout_s: float | None = None) -> Any:
    """Prompt for what is missing and collect one or more vCenters (shared by `collect` and `scan`).

    Several servers are collected concurrently into one estate; each one that fails is reported
    on stderr (and as a collection issue) while the others are kept. All failing is an error.
    """
    from scanner.collector.collect import collect_estates
    from scanner.collector.properties import DEFAULT_PAGE_SIZE
    from scanner.errors import InputError

    if ca_file is not None and not os.path.isfile(ca_file):
        raise InputError(f"CA file not found: {ca_file}")
    if user is None:
        user = prompt_or_explain("vCenter user", "no --user given", hide_input=False)
    if password_env is not None:
        password = os.environ.get(password_env)
        if password is None:
            raise InputError(f"environment variable {password_env} is not set")
    else:
        password = prompt_or_explain(f"Password for {user}", "no --password-env given", hide_input=True)

    last_shown: dict[str, int] = {}

    def progress(what: str, count: int) -> None:
        if last_shown.get(what) != count:
            last_shown[what] = count
            click.echo(f"vmscan: collecting {what}: {count}", err=True)

    servers = [server] if isinstance(server, str) else list(server)
    for warning in transport_warnings(servers, insecure):
        click.echo(f"vmscan: warning: {warning}", err=True)
    estate, failures = collect_estates(
        servers,
        user or "",
        password or "",
        insecure=insecure,
        ca_file=ca_file,
        page_size=page_size or DEFAULT_PAGE_SIZE,
        progress=progress,
        perf_days=perf_days,
        parser=parser,
        timeout_s=timeout_s or SOAP_TIMEOUT_DEFAULT_S,
        notify=lambda message: click.echo(f"vmscan: {message}", err=True),
    )
    for failure in failures:
        click.echo(f"vmscan: warning: {one_line(failure.message)} (other vCenters kept)", err=True)
    return estate


def read_servers_file(path: str) -> list[str]:
    """One server per line; blank lines and lines starting with # are ignored."""
    from scanner.errors import InputError
    from scanner.limits import SERVERS_FILE_BYTES, read_bounded_bytes

    try:
        # A regular file, bounded: /dev/zero was read until memory ran out.
        lines = read_bounded_bytes(Path(path), SERVERS_FILE_BYTES, "servers file").decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read servers file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    servers = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not servers:
        raise InputError(f"servers file {path} lists no server")
    return servers


def server_list(servers: tuple[str, ...], servers_file: str | None) -> list[str]:
    """The vCenters named by repeated --server plus those in --servers-file (at least one)."""
    listed = list(servers) + (read_servers_file(servers_file) if servers_file else [])
    if not listed:
        raise click.UsageError("give --server (repeatable) or --servers-file")
    return listed


# Connection and collection options, shared by `collect` and `scan`.
collection_options = [
    click.option(
        "--server",
        "-s",
        "servers",
        multiple=True,
        help="vCenter host name or URL (https://vc/sdk, http://127.0.0.1:8989/sdk). Repeat for several vCenters.",
    ),
    click.option(
        "--servers-file",
        type=click.Path(dir_okay=False),
        default=None,
        help="File listing vCenters, one per line (# comments allowed); combined with --server.",
    ),
    click.option("--user", "-u", default=None, help="User name (prompted when omitted), e.g. readonly@vsphere.local."),
    click.option(
        "--password-env",
        metavar="VAR",
        default=None,
        help="Read the password from environment variable VAR instead of prompting.",
    ),
    click.option("--insecure", is_flag=True, help="Do not verify the vCenter TLS certificate (lab use only)."),
    click.option(
        "--ca-file",
        type=click.Path(dir_okay=False),
        default=None,
        help="PEM file of the CA that signed the vCenter certificate.",
    ),
    click.option(
        "--page-size",
        type=click.IntRange(min=1),
        default=None,
        help="Objects per PropertyCollector page (default 500).",
    ),
    click.option(
        "--perf-days",
        type=click.IntRange(min=0),
        default=30,
        show_default=True,
        help="Days of performance history (QueryPerf) to read for powered-on VMs; 0 = none.",
    ),
    click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True, max=SOAP_TIMEOUT_MAX_S),
                 default=None,
                 metavar="SECONDS", help=TIMEOUT_OPTION_HELP),
    click.option(
        "--parser",
        type=click.Choice(["stream", "pyvmomi"]),
        default="stream",
        show_default=True,
        help="How PropertyCollector and QueryPerf responses are read: vmscan's streaming parser, or pyVmomi's "
        "deserializer (slower, more memory; the reference).",
    ),
]


@main.command("collect")
@with_options(collection_options)
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False), help="Snapshot file to write (.json.gz)."
)
def collect_command(
    servers: tuple[str, ...],
    servers_file: str | None,
    user: str | None,
    password_env: str | None,
    insecure: bool,
    ca_file: str | None,
    page_size: int | None,
    perf_days: int,
    timeout_s: float | None,
    parser: str,
    output: str,
) -> None:
    """Collect vCenter inventories, read-only, into one snapshot file.

    Several vCenters (repeated --server, or --servers-file) are collected concurrently with the
    same credentials; one that fails is reported and left out, the others are kept (exit 2 only
    when all fail).

    The password comes from an interactive prompt or from --password-env; it is never a command
    argument. Needs a read-only vCenter account (the built-in "Read-only" role, propagated).

    \b
    Examples:
      vmscan collect --server vc.example.com --user readonly@vsphere.local -o estate.json.gz
      VC_PASS=... vmscan collect -s https://vc.example.com -u ro@vsphere.local --password-env VC_PASS -o estate.json.gz
      vmscan collect -s http://127.0.0.1:8989/sdk -u user --password-env VCSIM_PASS -o sim.json.gz
      vmscan collect -s vc.example.com -u ro@vsphere.local --perf-days 7 -o estate.json.gz
      vmscan collect -s vc.example.com -u ro@vsphere.local --parser pyvmomi -o estate.json.gz
      vmscan collect -s vc1.example.com -s vc2.example.com -u ro@vsphere.local -o estate.json.gz
      vmscan collect --servers-file vcenters.txt -u ro@vsphere.local -o estate.json.gz
    """
    from pathlib import Path

    from scanner.fsutil import ensure_writable_folder, refuse_non_regular_target
    from scanner.inventory.io import save_estate

    # Checked up front so that a long collection does not end in a write error.
    refuse_non_regular_target(Path(output))
    ensure_writable_folder(os.path.dirname(os.path.abspath(output)))
    estate = collect_live(server_list(servers, servers_file), user, password_env, insecure, ca_file, page_size,
                          perf_days, parser, timeout_s=timeout_s)
    save_estate(estate, output)

    def plural(count: int, noun: str) -> str:
        # As scanner.analysis.text.plural, without importing the analysis (rules, policy) to say it.
        return f"{count} {noun}" if count == 1 else f"{count} {noun}s"

    vcenters = estate.vcenters
    counts = [
        plural(sum(len(v.vms) for v in vcenters), "VM"), plural(sum(len(v.hosts) for v in vcenters), "host"),
        plural(sum(len(v.clusters) for v in vcenters), "cluster"),
        plural(sum(len(v.datastores) for v in vcenters), "datastore"),
        plural(len(estate.collection_issues), "collection issue"),
    ]
    if len(vcenters) > 1:
        counts.insert(0, plural(len(vcenters), "vCenter"))
    click.echo(f"vmscan: wrote {output}: {', '.join(counts)}", err=True)


@main.command("deanonymize")
@click.argument("file", metavar="FILE")
@click.option("--map", "map_path", required=True, metavar="MAPFILE", help="The map written by `vmscan anonymize`.")
@click.option("-o", "--output", required=True, metavar="OUT",
              help="File (or, for a folder FILE, new folder) to write with the real names restored.")
def deanonymize_command(file: str, map_path: str, output: str) -> None:
    """Put the real names back into a report (HTML, CSV, JSON, xlsx, text), a snapshot or a report folder.

    FILE may be the --out folder of `vmscan report`; OUT is then a new folder. Restored names
    are escaped for each file's format (HTML entities, JSON escapes, CSV quoting with a formula
    guard, plain xlsx text cells).

    \b
    Example:
      vmscan deanonymize shared-report/report.html --map estate.map.json -o report-real.html
      vmscan deanonymize shared-report/ --map estate.map.json -o real-report/
    """
    from pathlib import Path

    from scanner.anonymize import AnonymizationMap, deanonymize_file, deanonymize_tree
    from scanner.errors import InputError
    from scanner.fsutil import resolved

    if resolved(output) in (resolved(file), resolved(map_path)):
        raise InputError(f"{output}: the output must not overwrite the input or the map file")
    mapping = AnonymizationMap.load(map_path)
    if Path(file).is_dir():
        count = deanonymize_tree(file, mapping, output)
    else:
        count = deanonymize_file(file, mapping, output)
    click.echo(f"restored {count} names into {output}", err=True)


class TargetChoice(click.Choice):
    """--target: the target ids of the shipped data (targets.toml), "all", or several comma-separated.

    The choices are read when click needs them (help, validation), not at import. An id the shipped
    data lacks but that looks like one passes on to be checked against the effective policy (a
    --policy file may add a target).
    """

    def __init__(self, allow_several: bool = True) -> None:
        super().__init__([])
        self.allow_several = allow_several

    @property
    def choices(self) -> tuple[str, ...]:
        from scanner.analysis.targets import ALL, target_ids
        from scanner.policy import load_default_data

        ids = target_ids(load_default_data())
        return (*ids, ALL) if self.allow_several else ids

    @choices.setter
    def choices(self, value: Any) -> None:
        pass  # set by click.Choice.__init__; the data decides

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from scanner.rules.base import TARGET_ID_PATTERN

        text = str(value)
        items = [item.strip() for item in text.split(",")] if self.allow_several else [text]
        choices = self.choices
        if not self.allow_several and ("," in text or text == "all"):
            self.fail(f"one target: choose from {', '.join(choices)}", param, ctx)
        for item in items:
            if item not in choices and not TARGET_ID_PATTERN.match(item):
                self.fail(f"{item!r} is not a target: choose from {', '.join(choices)}", param, ctx)
        return ",".join(items)


TARGET_HELP = ("Cloud target(s): a target id of targets.toml, several comma-separated, or 'all' (every target). "
               "Default: the policy's [meta] default_targets (shipped: avs,vmc).")

PRICES_ARGS = ("--prices", "prices_path")
PRICES_KWARGS: dict[str, Any] = dict(
    type=click.Path(dir_okay=False), default=None,
    help="TOML price file (per node type, per hour or month, on-demand/1-year/3-year, currency; see "
    "docs/examples/prices.toml): monthly and 3-year totals per target. No file, no cost shown.")

NATIVE_ARGS = ("--native-sizes", "native_scope")
NATIVE_KWARGS: dict[str, Any] = dict(
    type=click.Choice(["replatform", "all", "none"]), default=None,
    help="Smallest Azure VM size and EC2 instance type per VM: for replatform candidates (default: the "
    "policy's [native] scope, replatform), every VM, or none.")

SIZING_BASIS_ARGS = ("--sizing-basis", "sizing_basis")
SIZING_BASIS_KWARGS: dict[str, Any] = dict(
    type=click.Choice(["auto", "allocated", "performance"]), default=None,
    help="Size on configured (allocated) or measured (performance) use; default: the policy's sizing.basis "
    "(auto = performance when usage data exists).")


def parse_as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31", param_hint="--as-of") from None


@main.command("analyze")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--target", "target", type=TargetChoice(), default=None, help=TARGET_HELP)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), default=None,
              help="TOML policy overriding thresholds, severities, disabled rules and retain lists.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Assessment date for end of support (default: today); ages use the data's own date.")
@click.option("--fail-on", "fail_on", type=click.Choice(["blocker", "warning"]), default=None,
              help="Exit 1 when a finding of this severity (or worse) exists - for CI gates.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write the assessment JSON here (written atomically); '-' writes it to standard output "
                   "and the summary to standard error.")
@click.option(*SIZING_BASIS_ARGS, **SIZING_BASIS_KWARGS)
@click.option(*PRICES_ARGS, **PRICES_KWARGS)
@click.option(*NATIVE_ARGS, **NATIVE_KWARGS)
def analyze_command(inputs: tuple[str, ...], target: str | None, policy_path: str | None, as_of: str | None,
                    fail_on: str | None, output: str | None, sizing_basis: str | None,
                    prices_path: str | None, native_scope: str | None) -> None:
    """Assess migration readiness for AVS and VMware Cloud on AWS.

    INPUT is a vmscan snapshot (.json.gz), an RVTools .xlsx, or a folder of RVTools CSV files;
    several inputs are merged (multi-vCenter). Prints a summary: readiness per target, HCX
    method eligibility, dispositions and top blockers.

    \b
    Examples:
      vmscan analyze estate.json.gz -o assessment.json
      vmscan analyze vc1.json.gz rvtools-vc2.xlsx --target avs --policy policy.toml
      vmscan analyze estate.json.gz --fail-on blocker      # exit 1 if any blocker
      vmscan analyze rvtools.xlsx --sizing-basis allocated   # host counts as on-premises
      vmscan analyze rvtools.xlsx -o - | jq '.summary'      # the JSON on standard output
    """
    from scanner.analysis.io import assessment_json_parts, save_assessment
    from scanner.analysis.text import format_assessment
    from scanner.pipeline import assess_settings, load_and_assess

    settings = assess_settings(target, policy_path, parse_as_of(as_of), sizing_basis, prices_path,
                               native_scope)
    _estate, assessment = load_and_assess(inputs, settings)
    if output == "-":
        # The usual "-": standard output carries the JSON alone (it used to become a file named "-").
        for part in assessment_json_parts(assessment):
            sys.stdout.write(part)
        sys.stdout.write("\n")
        sys.stdout.flush()
        click.echo(terminal_safe(format_assessment(assessment)), err=True)
    else:
        if output:
            save_assessment(assessment, output)
        click.echo(terminal_safe(format_assessment(assessment)))
        if output:
            click.echo(f"\nassessment written to {output}")
    if fail_on is not None:
        fail_gate(assessment, fail_on)


def fail_gate(assessment: Any, fail_on: str) -> None:
    """--fail-on: exit 1 naming the VMs and rules at that level; say so when unknowns hide some."""
    from scanner.analysis.text import plural

    levels = ("blocker",) if fail_on == "blocker" else ("blocker", "warning")
    failing = [f for f in assessment.findings if f.status == "fail" and f.severity in levels]
    level_words = "blocker" if fail_on == "blocker" else "blocker or warning"
    # Site tasks (a host below HCX's minimum) gate too: they stand before every VM they concern.
    site = [t for t in assessment.site_tasks if t.status == "fail" and t.severity in levels]
    if site:
        click.echo(f"vmscan: --fail-on {fail_on}: {plural(len(site), 'site task')} at that level "
                   f"({', '.join(sorted({t.rule_id for t in site}))}; see 'site prerequisites')", err=True)
    if failing:
        rules = sorted({f.rule_id for f in failing})
        shown = ", ".join(rules[:8]) + (f" and {len(rules) - 8} more" if len(rules) > 8 else "")
        click.echo(f"vmscan: --fail-on {fail_on}: {plural(len({f.vm_id for f in failing}), 'VM')} with "
                   f"{level_words} findings ({plural(len(rules), 'rule')}: {shown})", err=True)
    if failing or site:
        sys.exit(1)
    # Passing the gate while readiness is unknown means "not checked", not "clean": say it.
    unknown = sum(ts.readiness.get("unknown", 0) for ts in assessment.summary.targets)
    if unknown:
        per_target = ", ".join(f"{ts.readiness.get('unknown', 0)} ({ts.target})" for ts in assessment.summary.targets)
        click.echo(f"vmscan: --fail-on {fail_on}: no {level_words} finding, but readiness is unknown for "
                   f"{per_target} VMs: rules that could not be evaluated may hide some (see 'could not evaluate')",
                   err=True)


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="Output format.")
def rules_command(fmt: str) -> None:
    """List the rule catalogue: id, severity, targets, HCX methods, title.

    \b
    Examples:
      vmscan rules
      vmscan rules --format markdown > docs/rules.md
    """
    from scanner.rules import load_catalogue
    from scanner.rules.catalogue import catalogue_json, catalogue_markdown, catalogue_table

    registry = load_catalogue()
    render = {"table": catalogue_table, "json": catalogue_json, "markdown": catalogue_markdown}[fmt]
    click.echo(render(registry), nl=False)


def write_and_list(estate: Any, assessment: Any, out: str, formats: str, force: bool,
                   also_written: tuple[Path, ...] = ()) -> None:
    """Write the reports, print each path (scripts read them), then the short headline."""
    from scanner.analysis.text import format_headline
    from scanner.pipeline import write_report_set

    result = write_report_set(estate, assessment, out, formats, force)
    for path in result.written:
        click.echo(str(path))
    names = [p.name for p in also_written] + [p.name for p in result.written if p.parent == result.directory]
    csv_files = [p for p in result.written if p.parent != result.directory]
    if csv_files:
        names.append(f"csv/ ({len(csv_files)} files)")
    click.echo("\n" + terminal_safe(format_headline(assessment, str(result.directory), names)))
    if result.stale:
        stale = result.stale
        shown = ", ".join(str(p.relative_to(result.directory)) for p in stale[:4]) + (" ..." if len(stale) > 4 else "")
        click.echo(f"vmscan: note: {shown} in {result.directory} {'is' if len(stale) == 1 else 'are'} from an earlier "
                   "run, not this one (delete or use a new --out folder)", err=True)


report_options = [
    click.option("--out", "out", required=True, type=click.Path(file_okay=False),
                 help="Folder for the reports (created if missing)."),
    click.option("--format", "formats", default="html,xlsx", show_default=True,
                 help="Comma-separated: html, xlsx, csv, json."),
    click.option("--target", "target", type=TargetChoice(), default=None, help=TARGET_HELP),
    click.option("--policy", "policy_path", type=click.Path(dir_okay=False), default=None,
                 help="TOML policy overriding thresholds, severities, disabled rules and retain lists."),
    click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
                 help="Assessment date for end of support (default: today); ages use the data's own date."),
    click.option(*SIZING_BASIS_ARGS, **SIZING_BASIS_KWARGS),
    click.option(*PRICES_ARGS, **PRICES_KWARGS),
    click.option(*NATIVE_ARGS, **NATIVE_KWARGS),
    click.option("--force", is_flag=True, help="Overwrite reports in an existing, non-empty --out folder."),
]


@main.command("report")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@with_options(report_options)
def report_command(inputs: tuple[str, ...], out: str, formats: str, target: str | None, policy_path: str | None,
                   as_of: str | None, sizing_basis: str | None, prices_path: str | None, native_scope: str | None,
                   force: bool) -> None:
    """Analyze inputs and write reports: HTML, Excel, CSV, assessment JSON.

    INPUT is a vmscan snapshot (.json.gz), an RVTools .xlsx, or a folder of RVTools CSV files;
    several inputs are merged. Prints the path of every file written, then a short headline
    (VMs, readiness per target, recommended hosts, where the files are). Files are written
    atomically; an existing non-empty --out folder is refused unless --force is given.

    \b
    Examples:
      vmscan report estate.json.gz --out reports/
      vmscan report vc1.json.gz rvtools-vc2.xlsx --out reports/ --format html,xlsx,csv,json
      vmscan report estate.json.gz --out reports/ --target avs --policy policy.toml --force
    """
    from scanner.pipeline import assess_settings, load_and_assess
    from scanner.reporters.output import check_output_dir, parse_formats

    # A typo in --format, --policy or --as-of, or an occupied --out folder, fails before the
    # (possibly long) import and analysis (and bad input leaves no folder behind).
    parse_formats(formats)
    settings = assess_settings(target, policy_path, parse_as_of(as_of), sizing_basis, prices_path,
                               native_scope)
    check_output_dir(out, force)
    estate, assessment = load_and_assess(inputs, settings)
    write_and_list(estate, assessment, out, formats, force)


@main.command("demo")
@click.option("--out", "out", default="vmscan-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo reports.")
@click.option("--target", "target", type=TargetChoice(), default=None, help=TARGET_HELP)
@click.option(*SIZING_BASIS_ARGS, **SIZING_BASIS_KWARGS)
@click.option(*PRICES_ARGS, **PRICES_KWARGS)
@click.option(*NATIVE_ARGS, **NATIVE_KWARGS)
@click.option("--force", is_flag=True, help="Overwrite reports in an existing, non-empty --out folder.")
def demo_command(out: str, target: str | None, sizing_basis: str | None, prices_path: str | None,
                 native_scope: str | None, force: bool) -> None:
    """Assess the bundled sample estate and write report.html and report.xlsx.

    The sample is a snapshot of govmomi's vCenter simulator (120 VMs) shipped with vmscan, so
    this works offline with nothing else installed. Prints the paths of the files written and a
    short headline. Run again, it replaces its own earlier reports in --out; a folder holding
    anything else needs --force.

    \b
    Example:
      vmscan demo                     # ./vmscan-demo/report.html and report.xlsx
      vmscan demo --out /tmp/demo --force
    """
    from importlib import resources

    from scanner.inventory.io import load_estate
    from scanner.pipeline import assess, assess_settings, input_info
    from scanner.reporters.output import holds_only_earlier_demo_output

    # The README's first command, run again, replaces its own earlier output; any other content
    # in the folder still needs --force.
    if not force and holds_only_earlier_demo_output(Path(out)):
        click.echo(f"vmscan: replacing the earlier demo reports in {out}", err=True)
        force = True

    fixture = resources.files("fixtures").joinpath("sample-estate.json.gz")
    with resources.as_file(fixture) as path:
        estate = load_estate(path)
    info = input_info("sample-estate.json.gz (bundled with vmscan)", "snapshot", estate)
    assessment = assess(estate, [info], assess_settings(target, None, parse_as_of(None), sizing_basis,
                                                            prices_path, native_scope))
    write_and_list(estate, assessment, out, "html,xlsx", force)


@main.command("scan")
@with_options(collection_options)
@with_options(report_options)
def scan_command(servers: tuple[str, ...], servers_file: str | None, user: str | None, password_env: str | None,
                 insecure: bool, ca_file: str | None, page_size: int | None, perf_days: int, timeout_s: float | None,
                 parser: str, out: str, formats: str, target: str | None, policy_path: str | None, as_of: str | None,
                 sizing_basis: str | None, prices_path: str | None, native_scope: str | None, force: bool) -> None:
    """Collect one or more vCenters, analyze them and write the reports, in one go.

    Same connection options as `vmscan collect` (--server repeatable, --servers-file), same
    report options as `vmscan report`. The snapshot is saved in --out as estate.json.gz so the
    estate can be re-assessed offline.

    \b
    Examples:
      vmscan scan --server vc.example.com --user readonly@vsphere.local --out reports/
      vmscan scan -s vc1.example.com -s vc2.example.com -u ro@vsphere.local --out reports/
      vmscan scan --servers-file vcenters.txt -u ro@vsphere.local --out reports/
      VC_PASS=... vmscan scan -s vc.example.com -u ro@vsphere.local --password-env VC_PASS --out r/ --format html,json
    """
    from scanner.inventory.io import save_estate
    from scanner.pipeline import assess, assess_settings, input_info
    from scanner.reporters.output import parse_formats, prepare_output_dir

    parse_formats(formats)
    servers_to_scan = server_list(servers, servers_file)
    # Checked before connecting, so a long collection does not end in a refusal to write or in a
    # policy typo (which would also leave estate.json.gz behind in --out).
    settings = assess_settings(target, policy_path, parse_as_of(as_of), sizing_basis, prices_path,
                               native_scope)
    directory = prepare_output_dir(out, force)
    estate = collect_live(servers_to_scan, user, password_env, insecure, ca_file, page_size, perf_days, parser,
                          timeout_s=timeout_s)
    snapshot = directory / "estate.json.gz"
    save_estate(estate, snapshot)
    assessment = assess(estate, [input_info(snapshot.name, "snapshot", estate)], settings)
    click.echo(str(snapshot))
    write_and_list(estate, assessment, out, formats, True, also_written=(snapshot,))


@main.command("plan")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Folder for plan.html, plan.xlsx, plan.json, move-groups.csv and waves/wave-NN.csv.")
@click.option("--target", "target", type=TargetChoice(allow_several=False), default="avs", show_default=True,
              help="Cloud target the waves move to (HCX methods are chosen per target): any target id of the data.")
@click.option("--bandwidth", "bandwidth", default="1Gbps", show_default=True,
              help="Link available to HCX, e.g. 500Mbps, 1Gbps, 10Gbps.")
@click.option("--group-by", "group_by", default=None,
              help="folder | vapp | resource_pool | cluster | network | attribute:<key> | name:<regex>, "
              "or several comma-separated, first with an answer wins (default: policy [waves], folder,network).")
@click.option("--groups", "groups_file", type=click.Path(dir_okay=False), default=None,
              help="CSV with columns VM, Group (e.g. an edited move-groups.csv); VMs not in it use --group-by.")
@click.option("--max-vms-per-wave", type=int, default=None, help="Default: policy [waves] (50).")
@click.option("--max-tib-per-wave", type=float, default=None, help="Default: policy [waves] (20 TiB).")
@click.option("--waves-per-week", type=int, default=None, help="Default: policy [waves] (2).")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), default=None,
              help="TOML policy: thresholds, retain lists and [waves] defaults.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Date for end-of-support and age checks (default: today).")
@click.option("--force", is_flag=True, help="Overwrite plan files in an existing, non-empty --out folder.")
def plan_command(inputs: tuple[str, ...], out: str, target: str, bandwidth: str, group_by: str | None,
                 groups_file: str | None, max_vms_per_wave: int | None, max_tib_per_wave: float | None,
                 waves_per_week: int | None, policy_path: str | None, as_of: str | None, force: bool) -> None:
    """Plan migration waves: move groups, waves under your limits, HCX methods, durations, network tasks.

    VMs are grouped by an application hint (folder by default), groups packed into waves (never split
    unless larger than a wave), powered-on VMs first and powered-off VMs in cold waves after them.
    Blocked VMs, retire and retain candidates stay out with their reasons. Edit move-groups.csv and
    pass it back with --groups to change the grouping.

    \b
    Examples:
      vmscan plan rvtools.xlsx --out plan/ --bandwidth 1Gbps
      vmscan plan estate.json.gz --out plan/ --group-by attribute:Application --max-vms-per-wave 30
      vmscan plan estate.json.gz --out plan/ --groups plan/move-groups.csv --force
    """
    from scanner.pipeline import assess_settings, load_and_assess
    from scanner.reporters.output import check_output_dir, prepare_output_dir
    from scanner.waves.groups import read_group_file
    from scanner.waves.plan import build_plan, parse_bandwidth, plan_settings
    from scanner.waves.reports import write_plan
    from scanner.waves.text import format_plan

    mbps = parse_bandwidth(bandwidth)
    settings = assess_settings(target, policy_path, parse_as_of(as_of))
    group_file = read_group_file(groups_file) if groups_file else None
    wave_settings = plan_settings(settings.policy.data, target, mbps,
                                  {"group_by": group_by, "max_vms_per_wave": max_vms_per_wave,
                                   "max_tib_per_wave": max_tib_per_wave, "waves_per_week": waves_per_week},
                                  group_file)
    check_output_dir(out, force)
    estate, assessment = load_and_assess(inputs, settings)
    plan = build_plan(estate, assessment, wave_settings)
    click.echo(terminal_safe(format_plan(plan)), nl=False)
    for path in write_plan(plan, prepare_output_dir(out, force)):
        click.echo(str(path))


@main.command("diff")
@click.argument("inputs", nargs=-1, required=True, metavar="OLD NEW [MORE...]")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Folder for diff.html, diff.xlsx and diff.json (default: terminal summary only).")
@click.option("--format", "formats", default="html,xlsx,json", show_default=True,
              help="Comma-separated: html, xlsx, json (with --out).")
@click.option("--target", "target", type=TargetChoice(), default=None, help=TARGET_HELP)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), default=None,
              help="TOML policy applied to every scan alike.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Assessment date for every scan (default: today), so scans differ only by their data.")
@click.option("--fail-on", "fail_on", type=click.Choice(["new-blocker"]), default=None,
              help="Exit 1 when the newest scan has a blocker the one before did not (CI gate).")
@click.option("--force", is_flag=True, help="Overwrite diff files in an existing, non-empty --out folder.")
def diff_command(inputs: tuple[str, ...], out: str | None, formats: str, target: str | None, policy_path: str | None,
                 as_of: str | None, fail_on: str | None, force: bool) -> None:
    """What changed between scans: VMs added, removed and changed, findings cleared and new.

    Each INPUT is one scan: a vmscan snapshot, an RVTools .xlsx or CSV folder, or an assessment
    JSON (`vmscan analyze -o`). Scans are compared in the order given (oldest first); three or more
    show the readiness trend. Every scan is assessed with the same --target, --policy and --as-of.

    \b
    Examples:
      vmscan diff rvtools-2026-10.xlsx rvtools-2026-11.xlsx
      vmscan diff week1.json.gz week2.json.gz week3.json.gz --out diff/
      vmscan diff before.json after.json --fail-on new-blocker      # CI: exit 1 on a new blocker
    """
    from scanner.diff.compare import diff_scans
    from scanner.diff.reports import parse_diff_formats, write_diff_reports
    from scanner.diff.scans import load_scan
    from scanner.diff.text import format_diff
    from scanner.errors import InputError
    from scanner.pipeline import assess_settings
    from scanner.reporters.output import check_output_dir, prepare_output_dir

    if len(inputs) < 2:
        raise InputError("vmscan diff needs at least two scans (OLD NEW)")
    chosen = parse_diff_formats(formats)
    settings = assess_settings(target, policy_path, parse_as_of(as_of))
    if out is not None:
        check_output_dir(out, force)
    result = diff_scans([load_scan(path, settings) for path in inputs])
    click.echo(terminal_safe(format_diff(result)), nl=False)
    if out is not None:
        for path in write_diff_reports(result, prepare_output_dir(out, force), chosen):
            click.echo(str(path))
    if fail_on == "new-blocker" and result.pairs and result.pairs[-1].new_blockers:
        found = result.pairs[-1].new_blockers
        shown = ", ".join(terminal_safe(f"{vm} ({rule})") for vm, rule in found[:8])
        click.echo(f"vmscan: --fail-on new-blocker: {len(found)} new blocker(s): {shown}"
                   f"{' …' if len(found) > 8 else ''}", err=True)
        sys.exit(1)


def run() -> None:  # pragma: no cover - console entry for `python -m scanner`
    main(prog_name="vmscan")
    sys.exit(0)
