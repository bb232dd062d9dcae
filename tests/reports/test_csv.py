import csv

from scanner.reporters.csv import write_csv
from scanner.synthetic import generate_estate
from tests.reports.factory import assess


def read(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so Excel detects the encoding"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_one_file_per_table_with_matching_row_counts(tmp_path):
    estate = generate_estate(120, seed=9)
    assessment = assess(estate)
    written = write_csv(estate, assessment, tmp_path)
    assert [p.name for p in written] == ["vms.csv", "site_tasks.csv", "findings.csv", "rules.csv", "data_coverage.csv",
                                         "data_coverage_inputs.csv", "hosts.csv", "clusters.csv",
                                         "datastores.csv", "sizing.csv", "sizing_by_node_type.csv",
                                         "sizing_parameters.csv", "sizing_sources.csv", "sizing_notes.csv",
                                         "targets.csv", "collection_issues.csv"]
    # The comparison (docs/targets.md): one row per target (no cost without a price file).
    assert [row[0] for row in read(tmp_path / "targets.csv")[1:]] == ["AVS", "VMC"]
    assert len(read(tmp_path / "vms.csv")) == 121
    assert len(read(tmp_path / "findings.csv")) == len(assessment.findings) + len(assessment.vcenter_findings) + 1
    assert len(read(tmp_path / "hosts.csv")) == len(estate.all_hosts()) + 1
    # Sizing: one plain table per file, a header row and its rows (no blocks stacked below it).
    sizing = read(tmp_path / "sizing.csv")
    assert sizing[0][:3] == ["Target", "Recommended hosts", "Node type"]
    assert [row[0] for row in sizing[1:]] == [s.target for s in assessment.sizing]
    options = read(tmp_path / "sizing_by_node_type.csv")
    assert len(options) == 1 + sum(len(o.resources) for s in assessment.sizing for o in s.options)
    for name in ("sizing", "sizing_by_node_type", "sizing_parameters", "sizing_sources", "sizing_notes"):
        rows = read(tmp_path / f"{name}.csv")
        assert all(len(row) == len(rows[0]) for row in rows), name
        assert all(row[0] in {s.target for s in assessment.sizing} for row in rows[1:]), name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)  # no temp files left


def test_values_vocabulary_and_formula_guard(tmp_path):
    estate = generate_estate(120, seed=9)
    assessment = assess(estate)
    write_csv(estate, assessment, tmp_path)
    rows = read(tmp_path / "vms.csv")
    header, body = rows[0], rows[1:]
    names = [r[header.index("VM")] for r in body]
    assert "'=HYPERLINK(\"http://example.invalid\",\"x\")" in names
    assert "'@SUM(1)" in names
    assert "<script>alert(1)</script>" in names
    assert not any(n.startswith(("=", "+", "-", "@", "\t", "\r")) for r in body for n in r)
    multi_line = [n for n in names if "\n" in n]
    assert multi_line == ['"quoted", comma; semi\ttab\r\nnewline']
    readiness = {r[header.index("Readiness AVS")] for r in body}
    assert readiness <= {"ready", "ready_with_conditions", "not_ready", "unknown"}
    assert [int(r[header.index("vCPU")]) for r in body] == [vm.num_cpu for vm in estate.all_vms()]
    boots = [r[header.index("Boot time (UTC)")] for r in body if r[header.index("Boot time (UTC)")]]
    assert boots and all(len(b) == 19 and b[4] == "-" and b[10] == " " for b in boots)
