"""The one pause of the cyclic garbage collector: nested and concurrent steps restore it once."""
import gc
import threading
from pathlib import Path

from scanner.gcpause import cyclic_gc_paused

SAMPLE_ESTATE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-estate.json.gz"


def test_nested_pauses_restore_the_collector_when_the_outer_step_ends():
    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner step ending does not switch it back on early
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_restored_when_the_step_fails():
    try:
        with cyclic_gc_paused():
            raise ValueError("step failed")
    except ValueError:
        pass
    assert gc.isenabled()


def test_concurrent_steps_in_threads_restore_it_once_the_last_ends():
    inside, release = threading.Barrier(2), threading.Event()
    finished_first = threading.Event()

    def step(wait_for_release: bool) -> None:
        with cyclic_gc_paused():
            inside.wait(timeout=10)
            if wait_for_release:
                release.wait(timeout=10)
        if not wait_for_release:
            finished_first.set()

    long_step = threading.Thread(target=step, args=(True,))
    short_step = threading.Thread(target=step, args=(False,))
    long_step.start()
    short_step.start()
    assert finished_first.wait(timeout=10)
    assert not gc.isenabled()  # one step still holds the pause
    release.set()
    long_step.join(timeout=10)
    short_step.join(timeout=10)
    assert gc.isenabled()


def test_a_command_holds_one_pause_from_reading_to_writing_and_restores_it(tmp_path, monkeypatch):
    """`vmscan analyze -o`: no collection between the analysis and the JSON (each would walk every
    object the analysis keeps), and the collector is back on once the command ends."""
    from click.testing import CliRunner

    import scanner.analysis.io as analysis_io
    from scanner.cli import main

    seen = []
    save = analysis_io.save_assessment

    def save_and_look(assessment, path):
        seen.append(gc.isenabled())
        save(assessment, path)

    monkeypatch.setattr(analysis_io, "save_assessment", save_and_look)
    assert gc.isenabled()
    result = CliRunner().invoke(main, ["analyze", str(SAMPLE_ESTATE), "-o", str(tmp_path / "a.json"),
                                        "--as-of", "2026-12-07"])
    assert result.exit_code == 0, result.output
    assert seen == [False]
    assert gc.isenabled()


def test_a_command_leaves_what_is_alive_at_exit_out_of_the_last_collection():
    """The command's process freezes its objects at exit (gc.freeze), so that the interpreter's last
    collection does not walk them; registered once however many commands run in the process."""
    import subprocess
    import sys

    code = (
        "import atexit, gc, sys\n"
        "registered = []\n"
        "real = atexit.register\n"
        "atexit.register = lambda f, *a, **k: (registered.append(f), real(f, *a, **k))[1]\n"
        "from scanner.cli import main\n"
        "for _ in range(2):\n"
        "    main(['inventory', sys.argv[1]], standalone_mode=False)\n"
        "print('freezes at exit:', registered.count(gc.freeze))\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(SAMPLE_ESTATE)], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "freezes at exit: 1"
