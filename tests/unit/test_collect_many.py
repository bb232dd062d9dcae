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
