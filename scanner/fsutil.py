"""Atomic file output: a reader never sees a half-written file, and a failure leaves none."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from scanner.errors import InputError, OutputError

# Files published by the running command, in order: a multi-file command stopped part-way (Ctrl-C,
# a full disk, bad input found late) says exactly which files it already wrote.
_published: list[str] = []


def start_publish_log() -> None:
    _published.clear()


def published_files() -> list[str]:
    return list(_published)


def output_note() -> str:
    """'no output written', or which files were: for the last line of a stopped command."""
    if not _published:
        return "no output written"
    shown = ", ".join(_published[:20]) + (f" and {len(_published) - 20} more" if len(_published) > 20 else "")
    return f"{len(_published)} file(s) already written: {shown}"


def resolved(path: str | os.PathLike[str]) -> Path:
    """``Path(path).resolve()``; a symbolic link loop is the user's path, not a vmscan bug (one line, exit 2)."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as exc:  # Python 3.11-3.12 raise RuntimeError for a loop, 3.13 OSError
        raise InputError(f"{path}: cannot follow this path ({exc})") from None


def ensure_writable_folder(path: str | os.PathLike[str]) -> None:
    """Fail early, before a long collection, when files cannot be created in ``path``.

    Probes by creating a file: ``os.access`` says yes to root even on read-only file systems.
    """
    directory = Path(path)
    if not directory.is_dir():
        raise OutputError(f"output folder does not exist: {directory}")
    try:
        with tempfile.TemporaryFile(prefix=".vmscan-probe.", dir=directory):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write to output folder {directory}: {exc.strerror or exc}") from None


def refuse_non_regular_target(target: Path) -> None:
    """An existing output must be a regular file: renaming onto a FIFO or a device would replace it
    (as root, ``-o /dev/null`` would replace /dev/null), and a folder is never a report file."""
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return
    kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    raise OutputError(f"{target}: is {kind}; refusing to replace it (choose a file name)")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    For writers (openpyxl, gzip) that want a file name rather than a stream.
    """
    target = Path(path)
    refuse_non_regular_target(target)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"output folder does not exist: {directory}")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    os.close(fd)
    # mkstemp creates 0600; a report or snapshot should get the usual permissions (umask), like open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_name, 0o666 & ~umask)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
        _published.append(str(target))
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        # Covers exceptions and KeyboardInterrupt alike: no partial output is left behind.
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8",
                 newline: str | None = None) -> Iterator[IO[str]]:
    """Open a temporary text file beside ``path`` for writing; publish it on success."""
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding, newline=newline) as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_write_bytes(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Binary variant of :func:`atomic_write`."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
