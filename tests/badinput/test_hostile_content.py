"""Hostile text in VM names, notes and custom attributes stays inert and readable in every report.

Cross-cutting: the corpus goes in through a snapshot and an RVTools workbook, through the real
``vmscan report`` command, and every produced file (HTML, xlsx, CSV, JSON) is checked. The
reporters' own unit tests cover their escaping helpers; this checks the assembled outputs.
"""

from __future__ import annotations

import csv
import html.parser
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import save_estate
from scanner.inventory.model import VM, Disk, Estate, Host, Nic, Snapshot, Source, VCenter
from scanner.textsafety import FORMULA_TRIGGERS

UUID = "5030aaaa-bbbb-cccc-dddd-000000000001"
LONG = "L" * 100_000

HOSTILE = {
    "script": "<script>alert('x')</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "close-script": "</script><script>alert(2)</script>",
    "comment": "<!-- --><svg onload=alert(3)>",
    "template": "{{ 7*7 }}${7*7}{% raw %}",
    "js-url": "javascript:alert(4)",
    "backslash-quote": 'a\\"b\\\\</x>',
    "formula-eq": '=HYPERLINK("http://evil.example","click")',
    "formula-plus": "+cmd|' /C calc'!A0",
    "formula-minus": "-2+3+cmd|' /C calc'!A0",
    "formula-at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "formula-tab": "\t=1+1",
    "formula-cr": "\r=1+1",
    "rtl-override": "invoice\u202efdp.exe",
    "rtl-marks": "\u200fשרת\u200e-01\u2066x\u2069",
    "control": "ctl\x00\x07\x1b[31m\x0b\x0c\x7fend",
    "newlines": "line1\nline2\r\nline3",
    "emoji": "vm-😀-𝒳",
    "long": LONG,
}


def hostile_estate() -> Estate:
    vms = []
    for i, (key, text) in enumerate(HOSTILE.items()):
        vms.append(VM(
            id=f"{UUID}/vm-{100 + i}", moref=f"vm-{100 + i}", name=f"{key}:{text}" if key != "long" else text,
            power_state="powered_on", num_cpu=2, cores_per_socket=1, memory_mib=4096, guest_id="otherGuest64",
            host="esx1", cluster="CL1", datacenter="DC1", folder_path=f"/DC1/vm/{text[:50]}",
            annotation=text, custom_attributes={"Owner": text, text[:40] or "k": "v"},
            disks=[Disk(label="Hard disk 1", capacity_bytes=1 << 30, provisioning="thin", backing="flat",
                        datastore="ds1", file_name=f"[ds1] {text[:60]}/disk.vmdk")],
            nics=[Nic(label="Network adapter 1", adapter_type="vmxnet3", network=text[:80], connected=True)],
            snapshots=[Snapshot(name=text[:80], description=text, created="2024-01-01T00:00:00Z")],
            snapshot_count=1,
        ))
    vc = VCenter(name="vc1", instance_uuid=UUID, hosts=[Host(id=f"{UUID}/host-1", name="esx1", cluster="CL1")],
                 vms=vms)
    return Estate(collected_at="2026-11-25T00:00:00Z", source=Source(kind="synthetic"), vcenters=[vc])


class _HtmlAudit(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts = 0
        self.handlers: list[tuple[str, str]] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append((tag, name))
            if name.lower() in ("href", "src", "action", "formaction") and value:
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def audit_html(text: str) -> _HtmlAudit:
    parser = _HtmlAudit()
    parser.feed(text)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    save_estate(hostile_estate(), folder / "hostile.json.gz")
    save_estate(Estate(collected_at="2026-11-25T00:00:00Z", source=Source(kind="synthetic"),
                       vcenters=[VCenter(name="vc1", instance_uuid=UUID, vms=[VM(id=f"{UUID}/vm-1", name="plain",
                                                                                 power_state="powered_on")])]),
               folder / "benign.json.gz")
    for name in ("hostile", "benign"):
        result = CliRunner().invoke(main, ["report", str(folder / f"{name}.json.gz"), "--out", str(folder / name),
                                           "--format", "html,xlsx,csv,json", "--as-of", "2026-11-25"])
        assert result.exit_code == 0, result.output
    return {"hostile": folder / "hostile", "benign": folder / "benign"}


def only(folder: Path, suffix: str) -> Path:
    (found,) = [p for p in folder.rglob(f"*{suffix}")]
    return found


def test_html_is_inert(reports):
    hostile = audit_html(only(reports["hostile"], ".html").read_text(encoding="utf-8"))
    benign = audit_html(only(reports["benign"], ".html").read_text(encoding="utf-8"))
    # The hostile data adds no script element, no event handler, no javascript: URL.
    assert hostile.scripts == benign.scripts
    assert hostile.handlers == benign.handlers == []
    assert not [u for u in hostile.urls if u.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]


def _strings(node: object) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, dict):
        return set().union(*(_strings(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_strings(v) for v in node)) if node else set()
    return set()


def test_html_shows_the_names_readably(reports):
    text = only(reports["hostile"], ".html").read_text(encoding="utf-8")
    visible = "".join(audit_html(text).text)
    # The VM table is rendered by the page's script from a JSON data island: decode it.
    opening = '<script type="application/json" id="vm-data">'
    start = text.index(opening) + len(opening)
    island = _strings(json.loads(text[start : text.index("</script>", start)]))
    for key, value in HOSTILE.items():
        name = value if key == "long" else f"{key}:{value}"
        assert name in island or name in visible, key


def test_xlsx_has_no_formula_and_text_stays_readable(reports):
    path = only(reports["hostile"], ".xlsx")
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(member) and b"<f " not in archive.read(member), member
    book = openpyxl.load_workbook(path)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type != "f" for c in cells)
    values = {c.value for c in cells}
    # A formula-looking name is kept, with a leading quote that makes it text.
    for key in ("formula-eq", "formula-plus", "formula-minus", "formula-at"):
        assert "'" + HOSTILE[key] in values, key  # the note itself, quoted
    assert "script:<script>alert('x')</script>" in values
    assert any("invoice\u202efdp.exe" in v for v in values)
    assert all(len(v) <= 32_767 for v in values)
    assert any(v.startswith("L" * 1000) for v in values)


def test_csv_cells_are_guarded(reports):
    files = list(reports["hostile"].rglob("*.csv"))
    assert files
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not cell.startswith(FORMULA_TRIGGERS) or _is_number(cell), (path.name, cell[:40])
                    assert "\x00" not in cell and "\x1b" not in cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_json_round_trips_the_names_exactly(reports):
    files = [p for p in reports["hostile"].rglob("*.json")]
    assert files
    text = "".join(p.read_text(encoding="utf-8") for p in files)
    data = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    assert data
    assert json.dumps(f"script:{HOSTILE['script']}", ensure_ascii=False)[1:-1] in text or \
        json.dumps(f"script:{HOSTILE['script']}")[1:-1] in text


def test_lone_surrogates_in_a_snapshot_are_an_input_error(tmp_path):
    # JSON can spell a lone surrogate ("\\ud800"); it cannot be written back as UTF-8, so it is refused
    # at load time instead of crashing a reporter later.
    doc = json.dumps({"schema": "vmscan-inventory", "schema_version": 1, "collected_at": "x",
                      "source": {"kind": "synthetic"},
                      "vcenters": [{"name": "vc", "vms": [{"id": "a/vm-1", "name": "bad\ud800name"}]}]})
    (tmp_path / "s.json").write_text(doc)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25", str(tmp_path / "s.json"), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "surrogate" in result.output and result.output.count("\n") == 1
    assert not out.exists() or list(out.iterdir()) == []


def test_hostile_names_through_rvtools_and_anonymize_round_trip(tmp_path):
    # RVTools input with the same corpus, then anonymize + report + deanonymize of the HTML.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "vInfo"
    sheet.append(["VM", "Powerstate", "CPUs", "Memory", "Annotation"])
    for key, value in HOSTILE.items():
        if key in ("control", "long"):
            continue  # not representable in xlsx / Excel's cell limit
        sheet.append([f"{key}:{value}", "poweredOn", 2, 4096, value])
    book.save(tmp_path / "rv.xlsx")
    runner = CliRunner()
    result = runner.invoke(main, ["anonymize", str(tmp_path / "rv.xlsx"), "-o", str(tmp_path / "shared.json.gz"),
                                  "--map", str(tmp_path / "map.json")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["report", "--as-of", "2026-11-25",
                                  str(tmp_path / "shared.json.gz"), "--out", str(tmp_path / "r"),
                                  "--format", "html"])
    assert result.exit_code == 0, result.output
    report = only(tmp_path / "r", ".html")
    result = runner.invoke(main, ["deanonymize", str(report), "--map", str(tmp_path / "map.json"),
                                  "-o", str(tmp_path / "real.html")])
    assert result.exit_code == 0, result.output
    restored = (tmp_path / "real.html").read_text(encoding="utf-8")
    benign_scripts = audit_html(report.read_text(encoding="utf-8")).scripts
    audit = audit_html(restored)
    assert audit.scripts == benign_scripts and audit.handlers == []
    # Restored names read exactly as typed in the VM table (the JSON data island the page renders).
    opening = '<script type="application/json" id="vm-data">'
    start = restored.index(opening) + len(opening)
    island = _strings(json.loads(restored[start : restored.index("</script>", start)]))
    for key, value in HOSTILE.items():
        if key not in ("control", "long"):
            assert f"{key}:{value}" in island, key
