"""RVTools import speed and peak memory, next to pandas.read_excel of the same vInfo sheet.

Run by hand (pandas is needed for the comparison only; it is not a vmscan dependency):

    /work/venv/bin/pip install pandas
    python benchmarks/bench_rvtools.py [VM_COUNT]

A 20,000-VM workbook is generated from ``scanner.synthetic.generate_estate`` with vmscan's own
RVTools writer (vInfo, vCPU, vMemory, vDisk, vPartition, vNetwork, vCD, vUSB, vSnapshot, vTools,
vHost, vCluster, vDatastore, vSource, vMetaData, switch/port tabs). Every measurement runs in a
fresh subprocess so its peak RSS (ru_maxrss) is its own. Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {root!r})
path, what = sys.argv[1], sys.argv[2]
# Imports happen before the clock starts: only reading is timed.
from pathlib import Path
if what.startswith("vmscan"):
    from python_calamine import CalamineWorkbook
    from scanner.rvtools.reader import read_rvtools
    import openpyxl
else:
    import pandas
    import python_calamine
    import openpyxl
start = time.perf_counter()
cpu = time.process_time()
rows = None
if what == "vmscan-calamine" or what == "vmscan-openpyxl":
    os.environ["VMSCAN_XLSX_READER"] = what.split("-")[1]
    estate = read_rvtools(Path(path))
    rows = len(estate.all_vms())
elif what.startswith("pandas"):
    engine = what.split("-", 1)[1]
    frame = pandas.read_excel(path, sheet_name="vInfo", engine=engine)
    rows = len(frame)
elapsed = time.perf_counter() - start
# VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the parent's peak.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
print(json.dumps({{"seconds": elapsed, "cpu": time.process_time() - cpu, "peak_mib": peak,
                   "rows": rows}}))
"""


def measure(path: Path, what: str) -> dict[str, float]:
    code = CHILD.format(root=str(ROOT))
    output = subprocess.run([sys.executable, "-c", code, str(path), what], check=True, capture_output=True,
                            text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    from scanner.rvtools.writer import write_rvtools
    from scanner.synthetic import generate_estate

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as folder:
        full = Path(folder) / f"rvtools-{count}.xlsx"
        estate = generate_estate(count, seed=1)
        start = time.perf_counter()
        tabs = write_rvtools(estate, full)
        written = time.perf_counter() - start
        print(f"full workbook: {count} VMs, {len(tabs)} tabs, {sum(tabs.values())} data rows, "
              f"{full.stat().st_size / 1e6:.1f} MB, written by vmscan export in {written:.1f} s")
        # The same vInfo sheet alone, so vmscan and pandas do the same work.
        vinfo_only = Path(folder) / f"rvtools-{count}-vinfo.xlsx"
        write_rvtools(estate, vinfo_only, tabs=("vInfo",))
        print(f"vInfo-only workbook: {vinfo_only.stat().st_size / 1e6:.1f} MB")
        print("wall and CPU seconds; CPU is the steadier number on a shared machine")
        runs = [
            ("vInfo only", vinfo_only, "vmscan-calamine"),
            ("vInfo only", vinfo_only, "vmscan-openpyxl"),
            ("vInfo only", vinfo_only, "pandas-openpyxl"),
            ("vInfo only", vinfo_only, "pandas-calamine"),
            ("all tabs", full, "vmscan-calamine"),
            ("all tabs", full, "vmscan-openpyxl"),
            ("all tabs", full, "pandas-openpyxl"),
        ]
        results: dict[tuple[str, str], dict[str, float]] = {}
        for label, path, what in runs:
            try:
                result = measure(path, what)
            except subprocess.CalledProcessError as exc:
                print(f"{label} {what}: failed: {exc.stderr.strip().splitlines()[-1] if exc.stderr else exc}")
                continue
            results[(label, what)] = result
            note = "(pandas reads vInfo only)" if what.startswith("pandas") and label == "all tabs" else ""
            print(f"{label:10s} {what:18s} wall {result['seconds']:6.2f} s  cpu {result['cpu']:6.2f} s  "
                  f"peak RSS {result['peak_mib']:6.0f} MiB  VMs {result['rows']} {note}")
        base = results.get(("vInfo only", "pandas-openpyxl"))
        ours = results.get(("vInfo only", "vmscan-calamine"))
        if base and ours:
            print(f"vInfo: vmscan {base['seconds'] / ours['seconds']:.1f}x faster (wall), "
                  f"{base['cpu'] / ours['cpu']:.1f}x (CPU) than pandas.read_excel")


if __name__ == "__main__":
    main()
