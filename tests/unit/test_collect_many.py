"""Options of multi-vCenter collection that fail before any connection."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.collector.collect import collect_estates
from scanner.errors import CollectionError


def test_a_server_named_twice_is_refused() -> None:
    with pytest.raises(CollectionError, match=r"more than once: https://vc\.example\.com"):
        collect_estates(["vc.example.com", "https://vc.example.com:443/sdk"], "u", "p")


def test_no_server_is_refused() -> None:
    with pytest.raises(CollectionError, match="no server"):
        collect_estates([], "u", "p")


@pytest.mark.parametrize("content", ["", "# only a comment\n\n"])
def test_a_servers_file_without_servers_is_bad_input(tmp_path: Path, content: str) -> None:
    listing = tmp_path / "vcenters.txt"
    listing.write_text(content, encoding="utf-8")
    args = ["collect", "--servers-file", str(listing), "-u", "u", "--password-env", "PW"]
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "o.json.gz")], env={"PW": "x"})
    assert result.exit_code == 2
    assert "lists no server" in result.output


def test_collect_needs_a_server(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", "-u", "u", "-o", str(tmp_path / "o.json.gz")])
    assert result.exit_code == 2
    assert "--servers-file" in result.output


def test_scan_takes_the_same_server_options_as_collect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`scan` accepts repeated --server and --servers-file, like `collect`, and collects them all."""
    import scanner.collector.collect as collect_module
    from tests.factories import clean_vm, estate_of

    asked: dict[str, object] = {}

    def fake_collect_estates(servers: list[str], user: str, password: str, **options: object) -> object:
        asked.update(servers=list(servers), user=user, password=password, parser=options.get("parser"),
                     perf_days=options.get("perf_days"))
        return estate_of(clean_vm()), []

    monkeypatch.setattr(collect_module, "collect_estates", fake_collect_estates)
    listing = tmp_path / "vcenters.txt"
    listing.write_text("# lab\nvc3.example.com\n", encoding="utf-8")
    args = ["scan", "--as-of", "2026-11-25",
            "-s", "vc1.example.com", "--server", "vc2.example.com", "--servers-file", str(listing),
            "-u", "ro", "--password-env", "PW", "--perf-days", "7", "--parser", "pyvmomi",
            "--out", str(tmp_path / "reports"), "--format", "json"]
    result = CliRunner().invoke(main, args, env={"PW": "secret"})
    assert result.exit_code == 0, result.output
    assert asked == {"servers": ["vc1.example.com", "vc2.example.com", "vc3.example.com"], "user": "ro",
                     "password": "secret", "parser": "pyvmomi", "perf_days": 7}
    assert (tmp_path / "reports" / "estate.json.gz").is_file()
    # It ends with the same headline as report and demo, naming the snapshot among the files.
    assert result.stdout.splitlines()[-1] == f"reports in {tmp_path / 'reports'}: estate.json.gz, assessment.json"
    assert "1 VM (1 on, 0 off, 0 suspended, 0 templates)" in result.stdout
    # The options are one shared definition: collect and scan offer the same ones.
    collect_params = {p.name for p in main.commands["collect"].params} - {"output"}
    scan_params = {p.name for p in main.commands["scan"].params}
    assert collect_params <= scan_params


def test_scan_needs_a_server(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", "--as-of", "2026-11-25", "-u", "u", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "--servers-file" in result.output
    assert not (tmp_path / "r").exists()
