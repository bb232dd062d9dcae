"""Time and peak memory of analyze + HTML + xlsx at 10,000 and 100,000 synthetic VMs, and the
responsiveness of filtering the 10,000-VM HTML report in headless Chromium.

Run by hand from the repository root:  python benchmarks/bench_reports.py [--sizes 10000,100000]
Each size runs in its own subprocess so ru_maxrss is that size's peak alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child(vm_count: int, out_dir: Path) -> dict[str, float]:
    sys.path.insert(0, str(REPO))
    from scanner.analysis.engine import analyze
    from scanner.analysis.sizing import assessment_sizing
    from scanner.reporters.html import write_html
    from scanner.reporters.xlsx import write_xlsx
    from scanner.synthetic import generate_estate

    def peak_mib() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    result: dict[str, float] = {"vms": vm_count}
    start = time.perf_counter()
    estate = generate_estate(vm_count, seed=1)
    result["generate_s"] = time.perf_counter() - start
    result["rss_after_generate_mib"] = peak_mib()
    start = time.perf_counter()
    assessment = analyze(estate, sizing=assessment_sizing)
    result["analyze_s"] = time.perf_counter() - start
    result["rss_after_analyze_mib"] = peak_mib()
    html = out_dir / f"report-{vm_count}.html"
    start = time.perf_counter()
    write_html(estate, assessment, html)
    result["html_s"] = time.perf_counter() - start
    result["rss_after_html_mib"] = peak_mib()
    result["html_mb"] = html.stat().st_size / 1e6
    xlsx = out_dir / f"report-{vm_count}.xlsx"
    start = time.perf_counter()
    write_xlsx(estate, assessment, xlsx)
    result["xlsx_s"] = time.perf_counter() - start
    result["rss_peak_mib"] = peak_mib()
    result["xlsx_mb"] = xlsx.stat().st_size / 1e6
    result["findings"] = len(assessment.findings)
    return result


def browser_filtering(html: Path) -> dict[str, float]:
    """Milliseconds from setting a search term / filter to the next painted frame, in Chromium."""
    sys.path.insert(0, str(REPO))
    from tests.browser.webdriver import chromium

    measure = """
        const [selector, value, done] = arguments;
        const el = document.querySelector(selector);
        const t0 = performance.now();
        el.value = value;
        el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input'));
        const js = performance.now() - t0;
        requestAnimationFrame(() => setTimeout(() => done([js, performance.now() - t0,
            Number(document.getElementById('vm-count').dataset.count)]), 0));
    """
    results: dict[str, float] = {}
    with chromium() as browser:
        start = time.perf_counter()
        browser.get(html.as_uri())
        results["load_s"] = time.perf_counter() - start
        for name, selector, value in (
            ("search 'sql'", "#q", "sql"),
            ("search 'prd-db0'", "#q", "prd-db0"),
            ("clear search", "#q", ""),
            ("filter readiness not_ready", "#f-readiness", "not_ready"),
            ("filter disposition retire", "#f-disposition", "retire"),
        ):
            js_ms, frame_ms, count = browser.run_async(measure, selector, value)
            results[f"{name}: js_ms"] = round(js_ms, 1)
            results[f"{name}: to_frame_ms"] = round(frame_ms, 1)
            results[f"{name}: rows"] = count
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help="folder for the generated reports (default: a temp folder)")
    args = parser.parse_args()
    out_dir = Path(args.out or tempfile.mkdtemp(prefix="vmscan-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.child is not None:
        print(json.dumps(child(args.child, out_dir)))
        return
    for size in (int(s) for s in args.sizes.split(",")):
        done = subprocess.run([sys.executable, __file__, "--child", str(size), "--out", str(out_dir)],
                              check=True, stdout=subprocess.PIPE, text=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    html = out_dir / "report-10000.html"
    if html.exists():
        print(json.dumps(browser_filtering(html)), flush=True)


if __name__ == "__main__":
    main()
