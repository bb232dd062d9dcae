"""Time the sizing engine on synthetic estates (run by hand: python benchmarks/bench_sizing.py).

Results go to docs/benchmarks.md. Sizing is arithmetic over VMs x node types; the storage
fixed-point walk steps one node at a time, so very large estates are where it would show.
"""

from __future__ import annotations

import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scanner
from scanner.analysis.sizing import format_sizing_line, size_estate
from scanner.synthetic import generate_estate


def main() -> None:
    with (Path(scanner.__file__).parent / "data" / "targets.toml").open("rb") as handle:
        config = tomllib.load(handle)
    for count in (1_000, 10_000, 100_000):
        estate = generate_estate(count, seed=1)
        for basis in ("allocated", "performance"):
            start = time.perf_counter()
            results = size_estate(estate, None, ["avs", "vmc"], config, basis)
            elapsed = time.perf_counter() - start
            print(f"{count:>7} VMs {basis:<11} {elapsed:6.2f} s")
            for result in results:
                print("   ", format_sizing_line(result))


if __name__ == "__main__":
    main()
