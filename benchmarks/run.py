"""vmscan's benchmark suite: one command, one table (time and peak RSS per row).

    python benchmarks/run.py                      # everything (~10 min on 2 cores)
    python benchmarks/run.py --only collect       # just the 10,000-VM simulator rows
    python benchmarks/run.py --only collect --no-history   # ... without the --perf-days 30 rows
    python benchmarks/run.py --only offline --sizes 10000
    python benchmarks/run.py --only rvtools --rv-sizes 1000,10000 --workbooks /tmp/vmscan-bench

Rows (each measured in its own subprocess, so every peak RSS is that row's alone):

a. collection from a 10,000-VM govmomi simulator (1 datacenter, 20 clusters x 8 hosts, 500 VMs
   per cluster; started once, shared by the rows):
   - raw transfer: the same PropertyCollector requests ``vmscan collect`` sends, sent over the
     same pyVmomi session, response bytes read and thrown away (the wire + simulator floor);
   - pyVmomi RetrievePropertiesEx of the VM properties (the big request) with pyVmomi's own
     deserializer;
   - a naive per-VM attribute walk (vm.name, vm.config, ... one round trip each), measured on 200
     VMs and extrapolated to 10,000;
   - ``vmscan collect --parser pyvmomi`` and ``vmscan collect`` (streaming parser, the default),
     whole CLI processes including the snapshot write, ``--perf-days 0``;
   - with 30 days of performance history: the collection with the QueryPerf response bodies read
     and dropped (the floor for the history), and ``vmscan collect --perf-days 30``.
   The rows a target compares (raw transfer, pyVmomi, ``vmscan collect``; the inventory step, the
   floor and the history step per simulator) are run ``--collect-runs`` times (3) in turn, A B C A B
   C ..., and each keeps its fastest run: a drift of the machine's speed then hits them alike.
b. RVTools side by side, per VM count (``--rv-sizes``, default 1k / 10k / 100k): a workbook written
   by vmscan's RVTools writer from ``generate_estate(n, seed=1)`` (not timed; kept in
   ``--workbooks DIR`` for the next run), then, each in its own process: ``vmscan report`` to HTML +
   xlsx + JSON, ``vmscan analyze -o``, vmscan's import alone, and, where pandas is installed,
   ``pandas.read_excel`` of the vInfo sheet with openpyxl and with calamine and of every sheet with
   calamine. The same for a vInfo-only export (``--vinfo-sizes``). Then the analysis alone
   (``pipeline.assess``, the workbook read beforehand, min of 3) and the analysis with the assessment
   JSON written, and with ``--baseline DIR`` both with an earlier checkout's code (issue 19's "5x
   cheaper per VM", in the same run; this tree's and the baseline's children twice in turn, each row
   keeping its child with the least CPU). Wall, CPU
   (user + sys) and peak RSS per row, and the load average before and after it (the machine is shared).
c. analyze + HTML + xlsx on synthetic estates (benchmarks/bench_reports.py), per size.

Results are pasted into docs/benchmarks.md by hand, with the date, machine and commit printed here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
NAIVE_SAMPLE = 200
TOPOLOGY_ARGS = {"datacenters": 1, "clusters": 20, "standalone_hosts": 0, "cluster_hosts": 8, "machines": 500}


# --- children: each runs in a fresh interpreter and prints one JSON line ----------------------


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_raw(url: str, user: str, password: str, dump: str | None = None, perf_days: int = 0) -> dict[str, Any]:
    """vmscan's own request sequence with the response bodies read and dropped.

    With ``dump``, the single answer for every VM (``_dump_vm_answer``) is also written there for the parse rows.
    With ``perf_days``, the inventory is parsed as usual (the history needs its VM list) and only
    the QueryPerf response bodies of the performance history are read and dropped (and counted).
    """
    import threading

    import scanner.collector.collect as collect
    import scanner.collector.soapstream as soapstream
    from scanner.collector.collect import collect_estate

    # The bodies are dropped unparsed: no second process to parse them.
    collect.USE_PARSE_WORKER = False

    counted = {"bytes": 0, "responses": 0, "largest": 0}
    lock = threading.Lock()  # QueryPerf responses are drained by up to 4 threads

    def drain(chunks: Any, catalog: Any, result: Any, offload: Any = None) -> Any:
        body = bytearray() if dump else None
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if body is not None:
                body += chunk
        with lock:
            counted["bytes"] += size
            counted["responses"] += 1
        if dump and body is not None and size > counted["largest"]:
            counted["largest"] = size
            Path(dump).write_bytes(body)
        return iter(())

    if perf_days:
        soapstream.parse_query_perf_result = lambda chunks, catalog: drain(chunks, catalog, None)
    else:
        soapstream.parse_retrieve_result = drain  # type: ignore[assignment]
    start = time.perf_counter()
    collect_estate(url, user, password, perf_days=perf_days, parser="stream")
    result = {"seconds": time.perf_counter() - start, "bytes": counted["bytes"], "mb": counted["bytes"] / 1e6,
              "responses": counted["responses"]}
    if dump:
        _dump_vm_answer(url, user, password)
    return result


def _dump_vm_answer(url: str, user: str, password: str) -> None:
    """After the timed run: the one answer to the single request for every VM through the view (the
    request pyVmomi's row sends), through the patched parser that writes the largest body. vmscan
    itself asks for the VMs in parts (properties.PartsReading), whose largest answer is one part."""
    from pyVmomi import vim

    from scanner.collector import mappers
    from scanner.collector.properties import iter_all
    from scanner.collector.session import connect, disconnect

    si = connect(url, user, password)
    try:
        for _ in iter_all(si.RetrieveContent(), vim.VirtualMachine, list(mappers.VM_PROPERTIES), parser="stream"):
            pass
    finally:
        disconnect(si)


def _vm_request(si: Any) -> tuple[Any, Any, Any]:
    from pyVmomi import vim

    from scanner.collector import mappers
    from scanner.collector.properties import _container_view, _filter_spec

    content = si.RetrieveContent()
    view = _container_view(content, vim.VirtualMachine)
    spec = _filter_spec(view, vim.VirtualMachine, mappers.VM_PROPERTIES, via_view=True)
    return content, view, spec


def child_pyvmomi(url: str, user: str, password: str) -> dict[str, Any]:
    """One RetrievePropertiesEx of vmscan's VM properties, deserialized by pyVmomi."""
    from pyVmomi import vmodl

    from scanner.collector.session import connect, disconnect

    si = connect(url, user, password)
    try:
        content, view, spec = _vm_request(si)
        options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=500)
        start = time.perf_counter()
        result = content.propertyCollector.RetrievePropertiesEx(specSet=[spec], options=options)
        objects = len(result.objects)
        while result.token:
            result = content.propertyCollector.ContinueRetrievePropertiesEx(token=result.token)
            objects += len(result.objects)
        seconds = time.perf_counter() - start
        view.DestroyView()
    finally:
        disconnect(si)
    return {"seconds": seconds, "objects": objects}


def child_naive(url: str, user: str, password: str) -> dict[str, Any]:
    """The obvious pyVmomi loop: one round trip per attribute per VM, on a sample of VMs."""
    from scanner.collector.session import connect, disconnect

    si = connect(url, user, password)
    try:
        _, view, _ = _vm_request(si)
        vms = list(view.view)
        total = len(vms)
        start = time.perf_counter()
        for vm in vms[:NAIVE_SAMPLE]:
            # (vm.snapshot is left out: reading an unset property crashes govmomi 0.24's Fetch.)
            _ = (vm.name, vm.parent, vm.resourcePool, vm.runtime, vm.config, vm.guest, vm.summary)
        seconds = time.perf_counter() - start
        view.DestroyView()
    finally:
        disconnect(si)
    return {"seconds": seconds, "sampled": NAIVE_SAMPLE, "total_vms": total,
            "extrapolated": seconds / NAIVE_SAMPLE * total}


def child_parse(kind: str, dump: str) -> dict[str, Any]:
    """Parse a recorded response body already in memory: pyVmomi's deserializer or vmscan's stream parser."""
    from pyVmomi import SoapAdapter, vmodl

    from scanner.collector.soapstream import StreamResult, TypeCatalog, parse_retrieve_result

    class Stub:
        version = "vim.version.version11"

        def SupportServerGUIDs(self) -> bool:
            return False

    body = Path(dump).read_bytes()
    start = time.perf_counter()
    if kind == "parse-pyvmomi":
        result_type = vmodl.query.PropertyCollector.RetrieveResult
        objects = len(SoapAdapter.SoapResponseDeserializer(Stub()).Deserialize(body, result_type).objects)
    else:
        objects = sum(1 for _ in parse_retrieve_result(iter([body]), TypeCatalog(Stub()), StreamResult()))
    return {"seconds": time.perf_counter() - start, "objects": objects, "bytes": len(body), "mb": len(body) / 1e6}


CHILDREN = {"raw": child_raw, "raw-perf": child_raw, "pyvmomi": child_pyvmomi, "naive": child_naive}
PARSE_CHILDREN = ("parse-pyvmomi", "parse-stream")


# --- parent ---------------------------------------------------------------------------------------


def run_measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str, str]:
    """Run ``command``; return (wall seconds, peak RSS MiB of that process, stdout, stderr)."""
    wall, _, peak, stdout, stderr = run_usage(command, env)
    return wall, peak, stdout, stderr


def run_usage(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str, str]:
    """Run ``command``; return (wall s, CPU s (user + sys), peak RSS MiB, stdout, stderr) of that process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed ({process.returncode}):\n{stderr[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout, stderr


def row(name: str, seconds: float, peak_mib: float | None, note: str = "", cpu: float | None = None) -> dict[str, Any]:
    return {"row": name, "seconds": seconds, "cpu": cpu, "peak_mib": peak_mib, "note": note}


def _cli_collect(sim: Any, output: Path, perf_days: int, parser: str = "stream") -> list[str]:
    return [
        sys.executable, "-m", "scanner", "collect", "-s", sim.sdk_url, "-u", sim.user,
        "--password-env", "VMSCAN_BENCH_PASSWORD", "--perf-days", str(perf_days), "--parser", parser,
        "-o", str(output),
    ]  # fmt: skip


def collect_rows(perf_csv: bool = True, history: bool = True, repeat: int = 1) -> list[dict[str, Any]]:
    """Section a: every row against the same 10,000-VM simulator; with ``perf_csv`` the history rows
    are repeated against a second simulator that answers QueryPerf in CSV, as vCenter does; without
    ``history`` there are no history rows (the inventory rows alone, for before/after runs). The rows
    the targets compare (raw transfer, pyVmomi, ``vmscan collect``; inventory and history steps) are
    each the fastest of ``repeat`` runs taken in turn."""
    sys.path.insert(0, str(REPO))
    from tests.vcsim.harness import Simulator, Topology

    topology = Topology(**TOPOLOGY_ARGS)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    with Simulator(topology, startup_timeout=900) as sim, tempfile.TemporaryDirectory() as workdir:
        print(f"# simulator: {topology.vm_count} VMs up in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        env = dict(os.environ, VMSCAN_BENCH_PASSWORD=sim.password)

        dump = str(Path(workdir) / "vms-response.xml")

        def measured(name: str, command: list[str], note: str = "", timed: str | None = None) -> dict[str, Any]:
            """One row from one process: wall (or the child's own ``timed`` figure), CPU, peak RSS, load."""
            return in_turn([(name, command, note, timed)], 1)[0]

        def in_turn(specs: list[tuple[str, list[str], str, str | None]], times: int) -> list[dict[str, Any]]:
            """One row per (name, command, note, timed) from ``times`` runs of each, taken in turn (A B C
            A B C ...), each row the figures of its fastest run: rows whose ratio is a target are
            measured side by side, so a drift of the machine's speed hits them alike."""
            best: list[dict[str, Any] | None] = [None] * len(specs)
            loads = [load_text()]
            for _ in range(times):
                for position, (name, command, note, timed) in enumerate(specs):
                    wall, cpu, peak, stdout, _ = run_usage(command, env)
                    loads.append(load_text())
                    result = json.loads(stdout.strip().splitlines()[-1]) if timed else {}
                    seconds = result[timed] if timed else wall
                    print(f"# {name}: {seconds:.1f} s, {cpu:.1f} s CPU, {peak:.0f} MiB", file=sys.stderr, flush=True)
                    kept = best[position]
                    if kept is None or seconds < kept["seconds"]:
                        best[position] = row(name, seconds, peak, note.format(**result), cpu)
            kept_rows = [item for item in best if item is not None]
            for item in kept_rows:
                fastest = f"fastest of {times}, taken in turn; " if times > 1 else ""
                item["note"] += f"{'; ' if item['note'] else ''}{fastest}load {loads[0]}→{loads[-1]}"
                rows.append(item)
            return kept_rows

        def child(kind: str, url: str = sim.sdk_url) -> list[str]:
            command = [sys.executable, __file__, "--child", kind, "--url", url, "--user", sim.user]
            return command + (["--dump", dump] if kind in PARSE_CHILDREN else [])

        # Warm the simulator once (its first large response is slower: Go heap growth); keep
        # the VM response body for the parse-only rows.
        run_usage([*child("raw"), "--dump", dump], env)
        stream_output = Path(workdir) / "stream.json.gz"
        raw, pyvmomi, inventory = in_turn([
            ("raw transfer of vmscan's PropertyCollector requests", child("raw"),
             "{mb:.0f} MB in {responses} responses, bodies read and dropped", "seconds"),
            ("pyVmomi RetrievePropertiesEx (VM properties) + deserializer", child("pyvmomi"),
             "{objects} VMs; time = the request alone, CPU = the whole process", "seconds"),
            ("vmscan collect --perf-days 0 (stream)", _cli_collect(sim, stream_output, 0),
             "whole process incl. snapshot write", None),
        ], repeat)
        inventory["note"] += f" ({stream_output.stat().st_size / 1e6:.1f} MB)"
        naive = measured(f"naive per-VM attribute walk (EXTRAPOLATED from {NAIVE_SAMPLE} VMs)", child("naive"),
                         "{seconds:.1f} s for {sampled} VMs; RSS and CPU not extrapolated", timed="extrapolated")
        naive["peak_mib"] = naive["cpu"] = None
        for kind, label in (("parse-pyvmomi", "pyVmomi deserializer"), ("parse-stream", "vmscan stream parser")):
            measured(f"parse only, {label}: the VM response from memory", child(kind),
                     "{mb:.0f} MB, {objects} objects, no network; CPU = the whole process", timed="seconds")
        output = Path(workdir) / "pyvmomi.json.gz"
        measured("vmscan collect --perf-days 0 --parser pyvmomi", _cli_collect(sim, output, 0, "pyvmomi"),
                 "whole process incl. snapshot write")["note"] += f" ({output.stat().st_size / 1e6:.1f} MB)"
        for item in rows:
            item["x_raw"] = item["seconds"] / raw["seconds"]
        summary = [
            f"whole `vmscan collect` = {inventory['seconds'] / raw['seconds']:.1f}× the raw transfer; "
            f"pyVmomi RetrievePropertiesEx of the VMs alone = {pyvmomi['seconds'] / inventory['seconds']:.1f}× "
            f"the whole `vmscan collect`",
        ]
        sims: list[tuple[str, Any]] = [("per-sample answers", sim)] if history else []
        if perf_csv and history:
            sims.append(("CSV answers", None))
        for answers, history_sim in sims:
            if history_sim is None:
                history_sim = Simulator(topology, startup_timeout=900, perf_csv=True).start()
                env["VMSCAN_BENCH_PASSWORD"] = history_sim.password
            try:
                specs: list[tuple[str, list[str], str, str | None]] = [
                    (f"inventory parsed + QueryPerf bodies read and dropped, --perf-days 30, {answers}",
                     child("raw-perf", history_sim.sdk_url), "QueryPerf: {mb:.0f} MB in {responses} responses",
                     "seconds"),
                    (f"vmscan collect --perf-days 30 (stream), {answers}",
                     _cli_collect(history_sim, Path(workdir) / "perf.json.gz", 30),
                     "whole process incl. snapshot write", None),
                ]
                if history_sim is not sim:
                    run_usage([*child("raw", history_sim.sdk_url)], env)  # warm
                    # The inventory step on this simulator, measured in turn with the history.
                    base, floor, perf_row = in_turn([
                        (f"vmscan collect --perf-days 0, {answers} simulator",
                         _cli_collect(history_sim, Path(workdir) / "csv0.json.gz", 0),
                         "the inventory step on this simulator", None), *specs], repeat)
                else:
                    base = inventory
                    floor, perf_row = in_turn(specs, repeat)
                step = perf_row["seconds"] - base["seconds"]
                step_cpu = perf_row["cpu"] - base["cpu"]
                summary.append(
                    f"{answers}: history step (perf-days 30 − perf-days 0) = {step:.1f} s wall / {step_cpu:.1f} s CPU "
                    f"vs the inventory step (perf-days 0) {base['seconds']:.1f} s / {base['cpu']:.1f} s CPU "
                    f"(ratio {step / base['seconds']:.2f} wall, {step_cpu / base['cpu']:.2f} CPU); the floor with the "
                    f"QueryPerf bodies dropped adds {floor['seconds'] - base['seconds']:.1f} s to the inventory"
                )
            finally:
                if history_sim is not sim:
                    history_sim.stop()
    rows.append({"summary": summary})
    return rows


def offline_rows(sizes: list[int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as workdir:
        for size in sizes:
            script = str(REPO / "benchmarks/bench_reports.py")
            _, peak, stdout, _ = run_measured([sys.executable, script, "--child", str(size), "--out", workdir])
            stages = json.loads(stdout.strip().splitlines()[-1])
            total = stages["analyze_s"] + stages["html_s"] + stages["xlsx_s"]
            rows.append(row(
                f"analyze + HTML + xlsx, {size:,} synthetic VMs", total, peak,
                f"analyze {stages['analyze_s']:.1f} s, HTML {stages['html_s']:.1f} s, xlsx {stages['xlsx_s']:.1f} s "
                f"(+ generate {stages['generate_s']:.1f} s, not counted); {stages['findings']:,} findings",
            ))  # fmt: skip
    return rows


AS_OF = "2026-11-25"
# pandas readers of the side-by-side rows: (label, sheet_name, engine).
PANDAS_READS = (
    ("pandas.read_excel vInfo, openpyxl (pandas' default engine)", "vInfo", "openpyxl"),
    ("pandas.read_excel vInfo, calamine", "vInfo", "calamine"),
    ("pandas.read_excel every sheet, calamine", None, "calamine"),
)


def child_read(what: str, path: str) -> dict[str, Any]:
    """Read a workbook with vmscan's importer or pandas; imports happen before the clock starts."""
    if what == "vmscan":
        from scanner.rvtools.reader import read_rvtools

        start, cpu = time.perf_counter(), time.process_time()
        rows = len(read_rvtools(Path(path)).all_vms())
    else:
        import pandas

        _, sheet, engine = PANDAS_READS[int(what)]
        start, cpu = time.perf_counter(), time.process_time()
        frames = pandas.read_excel(path, sheet_name=sheet, engine=engine)
        rows = len(frames) if sheet is not None else sum(len(frame) for frame in frames.values())
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "rows": rows}


def command_gc_pause() -> Any:
    """The cyclic collector's pause ``vmscan``'s ``main`` holds for a whole command; nothing in a tree
    older than the pause (scanner/gcpause.py), whose commands ran with the collector on."""
    import contextlib

    try:
        from scanner.gcpause import cyclic_gc_paused
    except ImportError:
        return contextlib.nullcontext()
    return cyclic_gc_paused()


ASSESS_RUNS = 3
# Children of this tree's and the baseline's analysis, run in turn per workbook (rvtools_rows).
ASSESS_ROUNDS = 2
# Runs of each collection row a target compares (collect_rows): taken in turn, the fastest kept.
COLLECT_RUNS = 3
# From this many VMs on, the analysis is timed once (a baseline's takes minutes), and the baseline's
# assessment JSON is not written: before the streamed writer it held the whole text (~15 GB for a
# vInfo-only export of 100,000 VMs).
ONE_RUN_FROM = 50_000
# The reader's guards refuse a workbook past 150,000 VMs or 1,000,000 rows unless told otherwise
# (scanner/limits.py); a benchmark of a 1,000,000-VM export is such a giant on purpose.
GIANT_LIMITS = {"VMSCAN_MAX_VMS": "2000000", "VMSCAN_XLSX_MAX_ROWS": "1048576", "VMSCAN_XLSX_MAX_CELLS": "300000000"}


def child_assess(path: str, with_json: bool, runs: int) -> dict[str, Any]:
    """``pipeline.assess`` (rules, readiness, coverage, summary, sizing), and with ``with_json`` the
    assessment JSON written after it, the workbook read beforehand: the analysis cost per VM of
    issue 19 item 1 (whose baseline counted "rules, readiness and the assessment JSON"). Min of
    ``runs`` runs. Each run holds the cyclic collector's pause as the tree's ``vmscan analyze`` does
    (``command_gc_pause``): it never collects between the analysis and the JSON."""
    import datetime as dt
    import gc

    from scanner.analysis.io import save_assessment
    from scanner.inputs import load_inputs
    from scanner.pipeline import assess, assess_settings, input_infos

    estate, loaded = load_inputs([path])
    settings = assess_settings(None, None, dt.date.fromisoformat(AS_OF))
    infos = input_infos(loaded)
    best_wall = best_cpu = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(runs):
            # Each run starts as a `vmscan analyze` process does: the policy's cache of values derived
            # for an analysis (the guest OS catalogue, the vCenters' disk-file maps) empty, in both trees.
            derived = getattr(settings.policy, "derived", None)
            if isinstance(derived, dict):
                derived.clear()
            gc.collect()
            start, cpu = time.perf_counter(), time.process_time()
            with command_gc_pause():
                assessment = assess(estate, infos, settings)
                if with_json:
                    save_assessment(assessment, Path(folder) / "assessment.json")
            best_cpu = min(best_cpu, time.process_time() - cpu)
            best_wall = min(best_wall, time.perf_counter() - start)
            del assessment
    return {"seconds": best_wall, "cpu": best_cpu, "rows": len(estate.all_vms())}


def pandas_engines() -> list[int]:
    """Indexes into PANDAS_READS whose libraries are installed (pandas is no vmscan dependency)."""
    import importlib.util

    if importlib.util.find_spec("pandas") is None:
        return []
    engines = {"openpyxl": "openpyxl", "calamine": "python_calamine"}
    return [i for i, (_, _, engine) in enumerate(PANDAS_READS) if importlib.util.find_spec(engines[engine])]


def workbook(size: int, folder: Path, vinfo_only: bool = False) -> Path:
    """The RVTools workbook of ``generate_estate(size, seed=1)`` (all tabs, or vInfo alone), written
    once by vmscan's writer and kept in ``folder``."""
    path = folder / (f"rvtools-{size}-vinfo-only.xlsx" if vinfo_only else f"rvtools-{size}.xlsx")
    if not path.exists():
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", (
            "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[3]);"
            "from scanner.rvtools.writer import write_rvtools; from scanner.synthetic import generate_estate;"
            "write_rvtools(generate_estate(int(sys.argv[1]), seed=1), Path(sys.argv[2]),"
            " tabs=sys.argv[4].split(',') if sys.argv[4] else None)"
        ), str(size), str(path) + ".partial.xlsx", str(REPO), "vInfo" if vinfo_only else ""], check=True)  # fmt: skip
        Path(str(path) + ".partial.xlsx").rename(path)
        print(f"# wrote {path.name} in {time.perf_counter() - started:.0f} s (not timed)", file=sys.stderr)
    return path


def load_text() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def workbook_row(label: str, name: str, command: list[str], env: dict[str, str] | None) -> dict[str, Any]:
    """One row of section b from one process (a child's own clock where it reports one)."""
    before = load_text()
    try:
        wall, cpu, peak, stdout, _ = run_usage(command, env)
    except RuntimeError as exc:
        return {"case": label, "row": name, "seconds": None, "cpu": None, "peak_mib": None,
                "note": f"failed: {str(exc).splitlines()[-1][:120]}"}
    note = ""
    if "--child" in command:
        # Reading alone: the child's own clock, imports excluded.
        result = json.loads(stdout.strip().splitlines()[-1])
        wall, cpu, note = result["seconds"], result["cpu"], f"{result['rows']:,} rows"
    print(f"# {label}: {name}: {wall:.1f} s, {cpu:.1f} s CPU, {peak:.0f} MiB", file=sys.stderr, flush=True)
    return {"case": label, "row": name, "seconds": wall, "cpu": cpu, "peak_mib": peak,
            "note": f"{note}{'; ' if note else ''}load {before}→{load_text()}"}


def rvtools_rows(sizes: list[int], vinfo_sizes: list[int], folder: Path,
                 baseline: str | None = None) -> list[dict[str, Any]]:
    """``baseline``: a checkout of an earlier commit whose analysis is timed beside this one's."""
    rows: list[dict[str, Any]] = []
    engines = pandas_engines()
    if not engines:
        print("# pandas not installed: the pandas rows are left out", file=sys.stderr)
    cases = [(size, False) for size in sizes] + [(size, True) for size in vinfo_sizes]
    for size, vinfo_only in cases:
        path = workbook(size, folder, vinfo_only)
        kind = "vInfo-only export" if vinfo_only else "all tabs"
        label = f"{size:,} VMs, {kind} ({path.stat().st_size / 1e6:.1f} MB)"
        with tempfile.TemporaryDirectory() as out:
            commands: list[tuple[str, list[str]]] = [
                ("vmscan report → HTML + xlsx + JSON", [
                    sys.executable, "-m", "scanner", "report", str(path), "--out", out, "--format", "html,xlsx,json",
                    "--as-of", AS_OF, "--force"]),
                ("vmscan analyze -o assessment.json", [
                    sys.executable, "-m", "scanner", "analyze", str(path), "-o", str(Path(out) / "a.json"),
                    "--as-of", AS_OF]),
                ("vmscan import only (read_rvtools)", [
                    sys.executable, __file__, "--child", "read", "--what", "vmscan", "--path", str(path)]),
            ]  # fmt: skip
            commands += [(PANDAS_READS[i][0], [sys.executable, __file__, "--child", "read", "--what", str(i),
                                               "--path", str(path)]) for i in engines]
            runs = 1 if size >= ONE_RUN_FROM else ASSESS_RUNS
            # The analysis beside the baseline's: each pair run ``rounds`` times in turn (this, baseline,
            # this, baseline), each row keeping its child with the least CPU, so that a drift of the
            # machine's speed between the two children hits both sides of the ratio alike.
            rounds = 1 if size >= ONE_RUN_FROM or not baseline else ASSESS_ROUNDS
            pairs: list[list[tuple[str, list[str]]]] = []
            for what, child in (("analysis alone (pipeline.assess", "assess"),
                                ("analysis + assessment JSON (assess, save_assessment", "assess-json")):
                rounds_note = f", fastest of {rounds} children in turn" if rounds > 1 else ""
                pair = [(f"vmscan {what}, min of {runs}{rounds_note})", [
                    sys.executable, __file__, "--child", child, "--path", str(path), "--runs", str(runs)])]
                if baseline and (child == "assess" or size < ONE_RUN_FROM):
                    pair.append((f"the same at {baseline_commit(baseline)} (baseline)", [
                        sys.executable, __file__, "--child", child, "--path", str(path), "--tree", baseline,
                        "--runs", str(runs)]))
                pairs.append(pair)
            env = {**os.environ, **GIANT_LIMITS} if size > 150_000 else None

            for name, command in commands:
                rows.append(workbook_row(label, name, command, env))
            for pair in pairs:
                kept: list[dict[str, Any] | None] = [None] * len(pair)
                for _ in range(rounds):
                    for position, (name, command) in enumerate(pair):
                        item = workbook_row(label, name, command, env)
                        best = kept[position]
                        if best is None or best["cpu"] is None or (item["cpu"] is not None
                                                                   and item["cpu"] < best["cpu"]):
                            kept[position] = item
                ours = kept[0]
                for item in kept:
                    assert item is not None
                    if item is not ours and item["cpu"] and ours is not None and ours["cpu"]:
                        item["note"] += f"; baseline / this = {item['cpu'] / ours['cpu']:.1f}×"
                    rows.append(item)
    return rows


def vm_counts(text: str) -> list[int]:
    """``--rv-sizes`` / ``--vinfo-sizes``: comma-separated VM counts; 0 or nothing means no such workbook."""
    return [count for count in (int(x) for x in text.split(",") if x.strip()) if count > 0]


def side_by_side(rows: list[dict[str, Any]]) -> str:
    lines = ["| input | row | wall | CPU | peak RSS | per VM | note |", "|---|---|---:|---:|---:|---:|---|"]
    for item in rows:
        if item["seconds"] is None:
            lines.append(f"| {item['case']} | {item['row']} | — | — | — | — | {item['note']} |")
            continue
        size = int(item["case"].split(" ", 1)[0].replace(",", ""))
        lines.append(f"| {item['case']} | {item['row']} | {item['seconds']:.1f} s | {item['cpu']:.1f} s | "
                     f"{item['peak_mib']:.0f} MiB | {item['cpu'] / size * 1000:.2f} ms CPU | {item['note']} |")
    return "\n".join(lines)


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model or platform.processor()}), Python {platform.python_version()}, load {load}"


def baseline_commit(tree: str) -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True)
    return done.stdout.strip() or tree


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                           capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + (" (+ local changes)" if dirty else "")


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| row | time | CPU | peak RSS | × raw transfer | note |", "|---|---:|---:|---:|---:|---|"]
    summary: list[str] = []
    for item in rows:
        if "summary" in item:
            summary += item["summary"]
            continue
        peak = f"{item['peak_mib']:.0f} MiB" if item["peak_mib"] is not None else "—"
        cpu = f"{item['cpu']:.1f} s" if item.get("cpu") is not None else "—"
        ratio = f"{item['x_raw']:.1f}×" if "x_raw" in item else ""
        lines.append(f"| {item['row']} | {item['seconds']:.1f} s | {cpu} | {peak} | {ratio} | {item['note']} |")
    return "\n".join(lines + ([""] + [f"- {line}" for line in summary] if summary else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["collect", "rvtools", "offline"], action="append")
    parser.add_argument("--sizes", default="10000,100000", help="synthetic VM counts for the offline rows")
    parser.add_argument("--rv-sizes", default="1000,10000,100000", help="VM counts of the RVTools workbooks")
    parser.add_argument("--vinfo-sizes", default="1000,10000",
                        help="VM counts of the vInfo-only exports (each VM carries every unknown: keep modest); "
                             "0: none")
    parser.add_argument("--no-perf-csv", action="store_true",
                        help="collection: skip the history rows against a simulator answering QueryPerf in CSV")
    parser.add_argument("--no-history", action="store_true",
                        help="collection: skip every performance-history (--perf-days 30) row")
    parser.add_argument("--collect-runs", type=int, default=COLLECT_RUNS,
                        help="collection: runs of each row a target compares, taken in turn (the fastest kept)")
    parser.add_argument("--workbooks", help="folder keeping the generated workbooks between runs (default: temporary)")
    parser.add_argument("--baseline", help="a checkout of an earlier commit (git worktree add --detach DIR REV): its "
                                           "pipeline.assess is timed beside this one's, per workbook")
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=ASSESS_RUNS, help=argparse.SUPPRESS)
    parser.add_argument("--what", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=sorted([*CHILDREN, *PARSE_CHILDREN, "read", "assess", "assess-json"]),
                        help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--user", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, args.tree or str(REPO))
        if args.child == "read":
            result = child_read(args.what, args.path)
        elif args.child in ("assess", "assess-json"):
            result = child_assess(args.path, with_json=args.child == "assess-json", runs=args.runs)
        elif args.child in PARSE_CHILDREN:
            result = child_parse(args.child, args.dump)
        elif args.child == "raw":
            result = child_raw(args.url, args.user, os.environ["VMSCAN_BENCH_PASSWORD"], args.dump)
        elif args.child == "raw-perf":
            result = child_raw(args.url, args.user, os.environ["VMSCAN_BENCH_PASSWORD"], perf_days=30)
        else:
            result = CHILDREN[args.child](args.url, args.user, os.environ["VMSCAN_BENCH_PASSWORD"])
        result["peak_mib"] = _peak_mib()
        print(json.dumps(result))
        return 0
    parts = set(args.only or ["collect", "rvtools", "offline"])
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; commit {commit()}; {machine()}")
    if "collect" in parts:
        print("\n### a. Collection, 10,000-VM simulator\n")
        print(table(collect_rows(perf_csv=not args.no_perf_csv, history=not args.no_history,
                                 repeat=args.collect_runs)), flush=True)
    if "rvtools" in parts:
        print("\n### b. RVTools workbooks: vmscan and pandas side by side\n")
        sizes = vm_counts(args.rv_sizes)
        vinfo_sizes = vm_counts(args.vinfo_sizes)
        if args.workbooks:
            Path(args.workbooks).mkdir(parents=True, exist_ok=True)
            print(side_by_side(rvtools_rows(sizes, vinfo_sizes, Path(args.workbooks), args.baseline)), flush=True)
        else:
            with tempfile.TemporaryDirectory() as folder:
                print(side_by_side(rvtools_rows(sizes, vinfo_sizes, Path(folder), args.baseline)), flush=True)
    if "offline" in parts:
        print("\n### c. Offline pipeline on synthetic estates\n")
        print(table(offline_rows([int(s) for s in args.sizes.split(",")])), flush=True)
    print(f"\nload after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
