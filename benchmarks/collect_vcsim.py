"""Measure ``vmscan collect`` against a large vCenter simulator: wall time, peak RSS, VM count.

    python benchmarks/collect_vcsim.py                       # 10,000 VMs: 1 DC, 20 clusters x 8 hosts, 500 VMs each
    python benchmarks/collect_vcsim.py --machines 50         # 1,000 VMs
    python benchmarks/collect_vcsim.py --perf-days 30        # include QueryPerf history
    python benchmarks/collect_vcsim.py --perf-days 30 --perf-csv   # ... answered in CSV, as vCenter does
    python benchmarks/collect_vcsim.py --perf-days 30 --parser pyvmomi  # pyVmomi's deserializer

``vmscan collect`` runs in its own process so that its peak RSS (``ru_maxrss`` of the child) is
what is reported, not the simulator's or this script's.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scanner.inventory.io import load_estate  # noqa: E402
from tests.vcsim.harness import Simulator, Topology  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--cluster-hosts", type=int, default=8)
    parser.add_argument("--machines", type=int, default=500)
    parser.add_argument("--perf-days", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--parser", choices=("stream", "pyvmomi"), default="stream")
    parser.add_argument(
        "--perf-csv", action="store_true", help="the simulator answers QueryPerf format=csv in CSV (like vCenter)"
    )
    args = parser.parse_args(argv)

    topology = Topology(
        datacenters=1,
        clusters=args.clusters,
        standalone_hosts=0,
        cluster_hosts=args.cluster_hosts,
        machines=args.machines,
    )
    started = time.monotonic()
    with Simulator(topology, perf_csv=args.perf_csv) as simulator, tempfile.TemporaryDirectory() as workdir:
        print(f"simulator with {topology.vm_count} VMs up in {time.monotonic() - started:.1f} s", flush=True)
        output = Path(workdir) / "estate.json.gz"
        command = [
            sys.executable, "-m", "scanner", "collect",
            "--server", simulator.sdk_url, "--user", simulator.user, "--password-env", "VMSCAN_BENCH_PASSWORD",
            "--page-size", str(args.page_size), "--perf-days", str(args.perf_days), "--parser", args.parser,
            "-o", str(output),
        ]  # fmt: skip
        env = dict(os.environ, VMSCAN_BENCH_PASSWORD=simulator.password)
        before = time.monotonic()
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - before
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return result.returncode
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mib = usage.ru_maxrss / 1024
        # CPU time is the figure to compare across runs on a shared (loaded) machine.
        cpu = usage.ru_utime + usage.ru_stime
        estate = load_estate(output)
        vms = estate.all_vms()
        with_devices = sum(1 for vm in vms if vm.disks and vm.nics)
        print(
            f"vmscan collect: {wall:.1f} s wall ({cpu:.1f} s CPU), peak RSS {peak_mib:.0f} MiB, {len(vms)} VMs "
            f"({with_devices} with disks and NICs), snapshot {output.stat().st_size / 1024:.0f} KiB, "
            f"page size {args.page_size}, perf days {args.perf_days}, parser {args.parser}"
            f"{', simulator answers QueryPerf in CSV' if args.perf_csv else ''}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
