"""Time anonymize / deanonymize on synthetic estates (run by hand: python benchmarks/bench_anonymize.py).

Results go to docs/benchmarks.md. Measures: anonymize_estate (walk + HMAC per name), saving the
map file, and deanonymize of the HTML report rendered from the anonymized estate.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.analysis.engine import analyze
from scanner.anonymize import AnonymizationMap, anonymize_estate, deanonymize_file
from scanner.reporters.html import write_html
from scanner.synthetic import generate_estate


def main() -> None:
    counts = [int(arg) for arg in sys.argv[1:]] or [1_000, 10_000, 100_000]
    for count in counts:
        estate = generate_estate(count, seed=1)
        mapping = AnonymizationMap.new()
        start = time.perf_counter()
        anonymized = anonymize_estate(estate, mapping)
        t_anon = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            mapping.save(Path(folder) / "map.json")
            t_map = time.perf_counter() - start
            write_html(anonymized, analyze(anonymized), Path(folder) / "r.html")
            size = (Path(folder) / "r.html").stat().st_size
            start = time.perf_counter()
            restored = deanonymize_file(Path(folder) / "r.html", mapping, Path(folder) / "real.html")
            t_back = time.perf_counter() - start
        print(f"{count:>7} VMs  anonymize {t_anon:6.2f} s  pseudonyms {len(mapping.entries):>8}  "
              f"map save {t_map:5.2f} s  deanonymize html ({size / 1e6:.0f} MB, {restored} names) {t_back:6.2f} s")


if __name__ == "__main__":
    main()
