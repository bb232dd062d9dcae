"""Time the rule engine (analyze), the assessment JSON and reading back both files on synthetic estates.

Run by hand: python benchmarks/bench_analyze.py. Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.analysis.engine import analyze
from scanner.analysis.io import load_assessment, save_assessment
from scanner.inventory.io import load_estate, save_estate
from scanner.synthetic import generate_estate


def main() -> None:
    counts = [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000]
    for count in counts:
        estate = generate_estate(count, seed=1)
        start = time.perf_counter()
        assessment = analyze(estate, as_of=dt.date(2026, 11, 25))
        analysed = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "assessment.json"
            start = time.perf_counter()
            save_assessment(assessment, path)
            written = time.perf_counter() - start
            size_mb = path.stat().st_size / 1e6
            start = time.perf_counter()
            load_assessment(path)
            assessment_read = time.perf_counter() - start
            snapshot = Path(folder) / "estate.json.gz"
            save_estate(estate, snapshot)
            start = time.perf_counter()
            load_estate(snapshot)
            snapshot_read = time.perf_counter() - start
        readiness = assessment.summary.targets[0].readiness
        print(f"{count:>7} VMs  analyze {analysed:6.2f} s  findings {len(assessment.findings):>8}  "
              f"json {written:5.2f} s {size_mb:7.1f} MB  avs {readiness}  "
              f"read back: assessment {assessment_read:5.2f} s, snapshot {snapshot_read:5.2f} s")


if __name__ == "__main__":
    main()
