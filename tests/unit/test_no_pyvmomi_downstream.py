"""Analysis (and everything downstream of the Inventory) must run with pyVmomi unavailable."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from scanner.inventory.io import save_estate
from tests.factories import clean_disk, clean_vm, estate_of, unknown_vm

REPO = Path(__file__).resolve().parents[2]


def test_analyze_runs_with_pyvmomi_blocked(tmp_path):
    estate = tmp_path / "estate.json.gz"
    save_estate(estate_of(clean_vm(), clean_vm("vc/vm-2", disks=[clean_disk(backing="rdm_physical")]),
                          unknown_vm()), estate)
    out = tmp_path / "assessment.json"
    code = textwrap.dedent(f"""
        import sys
        sys.modules["pyVmomi"] = None  # any `import pyVmomi` now raises ImportError
        sys.modules["pyVim"] = None
        from click.testing import CliRunner
        from scanner.cli import main
        result = CliRunner().invoke(main, ["analyze", {str(estate)!r}, "--as-of", "2026-11-25", "-o", {str(out)!r}])
        assert result.exit_code == 0, (result.output, result.exception)
        loaded = sorted(m for m in sys.modules if m.startswith(("pyVmomi", "pyVim")) and sys.modules[m] is not None)
        assert loaded == [], loaded
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert proc.stdout.strip() == "ok"
    assert out.exists()
