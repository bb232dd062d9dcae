"""Golden test: the whole assessment, field for field, on four fixed estates.

Guards performance work on the analysis (issue 19): an optimisation must leave every field of the
assessment as it was. The canonical JSON of each case (keys sorted, the run's clock and version
left out, input folders cut to file names) is digested per top-level section and per VM (its
outcome and its findings), and compared with ``data/assessment_golden.json``.

Why digests of the canonical JSON and not a second, naive engine kept beside the real one: a
reference implementation would have to follow every intended change of rules, readiness and
sizing by hand (several land every day) and would drift; digests are regenerated in one command
when a change of results is intended, and say which VM and which section moved when it is not.

When this fails:
- you were optimising: it is a bug; the failure names the VMs and sections that changed, and the
  canonical JSON of the case is written beside the test's tmp dir to diff against the previous
  commit's (``python -m tests.unit.test_assessment_golden --dump DIR`` on both);
- you changed results on purpose (a rule, readiness, coverage, sizing or a vendor fact):
  regenerate with ``python -m tests.unit.test_assessment_golden --update`` and say so in the commit.

Cases: a seeded synthetic estate (every kind of finding, several vCenters), the bundled sample
estate (a vCenter collection), the real anonymized RVTools export (fixtures/kubev2v-example1.xlsx)
and a vInfo-only RVTools export of a seeded synthetic estate (every VM has the same unknowns).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "data" / "assessment_golden.json"
AS_OF = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
# Left out of the comparison: when and by which version the assessment was written.
RUN_FIELDS = ("generated_at", "vmscan_version")
SYNTHETIC_VMS = 400
VINFO_ONLY_VMS = 120


def assess_paths(paths: list[Path]) -> Any:
    from scanner.inputs import load_inputs
    from scanner.pipeline import assess, input_infos

    estate, loaded = load_inputs([str(p) for p in paths])
    return assess(estate, input_infos(loaded), settings())


def settings() -> Any:
    from scanner.pipeline import assess_settings

    return assess_settings("all", None, AS_OF)


def analyze_estate(estate: Any, name: str) -> Any:
    from scanner.analysis.model import InputInfo
    from scanner.pipeline import assess

    info = InputInfo(path=name, kind="snapshot", vcenters=[vc.name for vc in estate.vcenters],
                     vm_count=len(estate.all_vms()))
    return assess(estate, [info], settings())


def synthetic_case(workdir: Path) -> Any:
    from scanner.synthetic import generate_estate

    return analyze_estate(generate_estate(SYNTHETIC_VMS, seed=7), "synthetic-7")


def sample_case(workdir: Path) -> Any:
    return assess_paths([REPO / "fixtures" / "sample-estate.json.gz"])


def kubev2v_case(workdir: Path) -> Any:
    return assess_paths([REPO / "fixtures" / "kubev2v-example1.xlsx"])


def vinfo_only_case(workdir: Path) -> Any:
    from scanner.rvtools.writer import write_rvtools
    from scanner.synthetic import generate_estate

    vinfo_only = workdir / "synthetic-vinfo-only.xlsx"
    write_rvtools(generate_estate(VINFO_ONLY_VMS, seed=11), vinfo_only, tabs=("vInfo",))
    return assess_paths([vinfo_only])


CASES: dict[str, Callable[[Path], Any]] = {
    "synthetic": synthetic_case,
    "sample": sample_case,
    "kubev2v": kubev2v_case,
    "vinfo-only": vinfo_only_case,
}


def canonical(assessment: Any, workdir: Path) -> dict[str, Any]:
    """The assessment as plain data, without the run's clock and version and local folders."""
    from scanner.serde import to_plain

    plain = to_plain(assessment)
    for name in RUN_FIELDS:
        plain.pop(name)
    text = json.dumps(plain, sort_keys=True, ensure_ascii=False)
    for folder in {workdir, REPO / "fixtures"}:
        text = text.replace(json.dumps(str(folder) + "/")[1:-1], "")
    result: dict[str, Any] = json.loads(text)
    return result


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def digests(plain: dict[str, Any]) -> dict[str, Any]:
    """One digest per top-level section, and per VM one of its outcome plus its findings (in order)."""
    findings: dict[str, list[Any]] = {}
    for finding in plain["findings"]:
        findings.setdefault(finding["vm_id"], []).append(finding)
    vms = {vm["vm_id"]: digest([vm, findings.get(vm["vm_id"], [])]) for vm in plain["vms"]}
    return {
        "vm_count": len(plain["vms"]),
        "finding_count": len(plain["findings"]),
        "sections": {key: digest(value) for key, value in sorted(plain.items())},
        "vms": vms,
    }


def run_case(name: str, workdir: Path) -> dict[str, Any]:
    return canonical(CASES[name](workdir), workdir)


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    lines = []
    for key in ("vm_count", "finding_count"):
        if expected[key] != actual[key]:
            lines.append(f"{key}: {expected[key]} -> {actual[key]}")
    changed = [k for k in sorted(set(expected["sections"]) | set(actual["sections"]))
               if expected["sections"].get(k) != actual["sections"].get(k)]
    if changed:
        lines.append(f"sections changed: {', '.join(changed)}")
    vm_ids = sorted(set(expected["vms"]) | set(actual["vms"]))
    moved = [v for v in vm_ids if expected["vms"].get(v) != actual["vms"].get(v)]
    if moved:
        lines.append(f"{len(moved)} VM(s) changed (outcome or findings), e.g. {', '.join(moved[:8])}")
    return lines


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("case", sorted(CASES))
def test_assessment_is_unchanged(case: str, golden: dict[str, Any], tmp_path: Path) -> None:
    plain = run_case(case, tmp_path)
    actual = digests(plain)
    lines = differences(golden[case], actual)
    if lines:
        dump = tmp_path / f"{case}.canonical.json"
        dump.write_text(json.dumps(plain, sort_keys=True, indent=1, ensure_ascii=False), encoding="utf-8")
        pytest.fail(f"assessment of case {case!r} differs from {GOLDEN.name}:\n  " + "\n  ".join(lines)
                    + f"\ncanonical JSON: {dump}\nAn optimisation must not change results. If the change is "
                    "intended (rules, readiness, coverage, sizing, vendor data), regenerate with "
                    "`python -m tests.unit.test_assessment_golden --update` and say so in the commit.")


def test_cases_cover_the_three_outcomes(golden: dict[str, Any]) -> None:
    """The golden estates exercise what the digests protect: many VMs, failures and unknowns."""
    assert golden["synthetic"]["vm_count"] == SYNTHETIC_VMS
    assert golden["vinfo-only"]["vm_count"] == VINFO_ONLY_VMS
    assert golden["kubev2v"]["vm_count"] == 9
    assert all(golden[case]["finding_count"] > 0 for case in CASES)
    # A result is stored once for all its targets (schema 2): the mostly clean sample collection
    # has fewer findings than VMs (73 on 120); the others more than one per VM.
    assert all(golden[case]["finding_count"] > golden[case]["vm_count"] for case in CASES if case != "sample")


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description="Regenerate or dump the golden assessment digests.")
    parser.add_argument("--update", action="store_true", help=f"rewrite {GOLDEN.name} from this tree's results")
    parser.add_argument("--dump", metavar="DIR", help="write each case's canonical JSON into DIR (to diff)")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in CASES:
            plain = run_case(name, Path(folder))
            result[name] = digests(plain)
            if args.dump:
                Path(args.dump).mkdir(parents=True, exist_ok=True)
                (Path(args.dump) / f"{name}.canonical.json").write_text(
                    json.dumps(plain, sort_keys=True, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.update:
        GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
