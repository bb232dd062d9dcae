"""The report templates and the demo fixture ship inside the wheel: render from an installed wheel."""

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IGNORE = shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", "build", "dist", "*.egg-info", ".pytest_cache",
                                ".mypy_cache", ".ruff_cache", "vmscan-demo", "bin")


@pytest.mark.slow
def test_demo_renders_from_installed_wheel(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=IGNORE)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
                   check=True, timeout=600)
    wheel = next(dist.glob("vmscan-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   timeout=300)
    # Dependencies come from this interpreter's site-packages (a plain path entry: its .pth files,
    # e.g. an editable vmscan, are not processed); vmscan itself comes only from the wheel. Added
    # after the install: pip would otherwise see the outer vmscan (CI installs it) as already there.
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "outer-deps.pth").write_text("\n".join(deps) + "\n")
    shutil.rmtree(source)  # nothing can come from the source tree any more
    work = tmp_path / "work"
    work.mkdir()
    where = subprocess.run(
        [python, "-c", "import scanner, report_templates, fixtures; "
                       "print(scanner.__file__); print(report_templates.__file__); print(fixtures.__file__)"],
        cwd=work, check=True, capture_output=True, text=True).stdout.split()
    assert all(path.startswith(str(env_dir)) for path in where), where
    done = subprocess.run([env_dir / "bin" / "vmscan", "demo"], cwd=work, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["vmscan-demo/report.html", "vmscan-demo/report.xlsx"]
    assert done.stdout.splitlines()[-1] == "reports in vmscan-demo: report.html, report.xlsx"
    html = (work / "vmscan-demo" / "report.html").read_text(encoding="utf-8")
    assert "Migration readiness assessment" in html and "Content-Security-Policy" in html
    assert (work / "vmscan-demo" / "report.xlsx").stat().st_size > 10_000
