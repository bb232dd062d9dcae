"""Save and load vmscan inventory snapshots (gzip JSON, versioned, written atomically)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import queue
import threading
import typing
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from scanner.errors import InputError
from scanner.fsutil import atomic_path
from scanner.gcpause import cyclic_gc_paused
from scanner.inventory.model import SCHEMA_NAME, SCHEMA_VERSION, Estate, VCenter
from scanner.jsontext import JsonTexts
from scanner.limits import not_a_regular_file
from scanner.serde import SchemaMismatch, from_plain, plain_converter, to_plain

# A snapshot of 100,000 VMs is a few hundred MB of JSON; anything far beyond is not ours
# (or is a decompression bomb).
MAX_DECOMPRESSED_BYTES = 4 * 1024**3
# Lowers (or raises) the guard without a code change: for tests and for small machines.
MAX_BYTES_ENV = "VMSCAN_MAX_INPUT_BYTES"
GZIP_MAGIC = b"\x1f\x8b"
# zlib's default: half the CPU of level 9 on a 10,000-VM snapshot (0.23 -> 0.12 s) for a file
# ~2.5 % larger; any gzip reader reads either.
GZIP_LEVEL = 6


def max_input_bytes() -> int:
    """The decompressed-size limit for a snapshot: ``VMSCAN_MAX_INPUT_BYTES`` or the default."""
    text = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not text:
        return MAX_DECOMPRESSED_BYTES
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(f"{MAX_BYTES_ENV}={text!r}: expected a positive number of bytes")
    return value


# Compact, as the snapshot always was; the streamed writer below gives json.dumps' exact text.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# Inventory lists (VMs, hosts, ...) are converted and encoded this many items at a time.
_SLICE = 500
# Encoded text is handed to the file (and gzip) in pieces of about this size.
_WRITE_CHARS = 1 << 20
# Texts held per field while a list is written (jsontext): a snapshot's repeated values (power
# states, guest OS names, folders) are a few hundred per field; most others (ids, names, uuids) never
# repeat, and holding them cost time and ~10 MiB at 10,000 VMs.
_SNAPSHOT_MEMO_LIMIT = 256
# Written field by field, so that their big lists are never one plain tree or one string.
_STREAMED_OBJECTS = (Estate, VCenter)


def estate_json_parts(estate: Estate) -> Iterator[str]:
    """The snapshot JSON in pieces, byte for byte ``json.dumps(to_plain(estate))`` (compact).

    A 10,000-VM snapshot is ~100 MB of text: built whole (plain tree, string, bytes) it was the
    peak of ``vmscan collect``. Here each list of the estate is converted a slice at a time.
    """
    return _value_parts(estate)


def _value_parts(value: Any) -> Iterator[str]:
    if isinstance(value, _STREAMED_OBJECTS):
        yield "{"
        for index, name in enumerate(f.name for f in dataclasses.fields(value)):
            yield ("," if index else "") + _ENCODER.encode(name) + ":"
            yield from _value_parts(getattr(value, name))
        yield "}"
    elif isinstance(value, list) and any(isinstance(item, _STREAMED_OBJECTS) for item in value):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _value_parts(item)
        yield "]"
    elif isinstance(value, list) and len(value) > _SLICE:
        yield "["
        texts = JsonTexts(memo_limit=_SNAPSHOT_MEMO_LIMIT)
        encode = texts.encoder(type(value[0])) if dataclasses.is_dataclass(value[0]) else None
        for start in range(0, len(value), _SLICE):
            if encode is not None:
                # Each object's text put together from its fields' texts (jsontext): the same text.
                yield ("," if start else "") + ",".join(map(encode, value[start : start + _SLICE]))
                continue
            # encode() of a list is "[" + items joined by "," + "]": strip the brackets, join slices by ",".
            text = _ENCODER.encode(_to_plain(value[start : start + _SLICE]))
            yield ("," if start else "") + text[1:-1]
        yield "]"
    else:
        yield _ENCODER.encode(_to_plain(value))


def _to_plain(value: Any) -> Any:
    """to_plain, through the per-class converters for lists of one inventory dataclass."""
    if isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
        convert = plain_converter(typing.cast(type, type(value[0])))  # an item of another class: to_plain
        return [convert(item) for item in value]
    return to_plain(value)


def _write_parts(write: Callable[[bytes], object], parts: Iterator[str]) -> None:
    pending: list[str] = []
    size = 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size >= _WRITE_CHARS:
            write("".join(pending).encode("utf-8"))
            pending, size = [], 0
    write("".join(pending).encode("utf-8"))


class _BackgroundWriter:
    """Hands each piece to ``write`` in a second thread, in order: gzip there while the JSON is encoded here.

    zlib and the file write release the GIL (the C JSON encoder does not), so compressing a
    10,000-VM snapshot (~0.12 s) overlaps the encoding instead of following each piece of it.
    The first error of ``write`` is raised on leaving the ``with`` (later pieces are dropped).
    """

    _END = b""

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="vmscan-snapshot-writer", daemon=True)

    def _run(self) -> None:
        while (data := self._queue.get()) is not self._END:
            if self._error is None:
                try:
                    self._write(data)
                except BaseException as exc:  # raised in the caller's thread by __exit__
                    self._error = exc

    def __call__(self, data: bytes) -> None:
        if data:
            self._queue.put(data)

    def __enter__(self) -> _BackgroundWriter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._queue.put(self._END)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error


def save_estate(estate: Estate, path: str | os.PathLike[str]) -> None:
    """Write ``estate`` as gzip JSON (``.json.gz``) or plain JSON (``.json``), atomically."""
    # Encoding makes ~a million short-lived dicts and strings and no cycles: each automatic full
    # collection would walk the whole estate (~15 % of the write at 10,000 VMs).
    with cyclic_gc_paused(), atomic_path(path) as tmp, open(tmp, "wb") as handle:
        if str(path).endswith(".json"):
            _write_parts(handle.write, estate_json_parts(estate))
        else:
            # mtime=0 keeps identical inventories byte-identical.
            with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0, compresslevel=GZIP_LEVEL) as gz:
                with _BackgroundWriter(gz.write) as write:
                    _write_parts(write, estate_json_parts(estate))


def is_snapshot_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` looks like a vmscan snapshot (gzip, or JSON naming our schema)."""
    p = Path(path)
    if not p.is_file():
        return False
    try:
        with open(p, "rb") as handle:
            head = handle.read(256)
    except OSError as exc:  # a read error names no file (/proc/self/mem: EIO): say which one
        raise InputError(f"{p}: cannot read it ({exc.strerror or exc})") from None
    return head.startswith(GZIP_MAGIC) or (head.lstrip().startswith(b"{") and SCHEMA_NAME.encode() in head)


def _read_bytes(p: Path, limit: int) -> bytes:
    with open(p, "rb") as handle:
        head = handle.read(2)
        handle.seek(0)
        if head != GZIP_MAGIC:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise InputError(f"{p}: {size} bytes is more than the {limit}-byte limit for a snapshot; refusing")
            return handle.read()
        chunks: list[bytes] = []
        total = 0
        try:
            with gzip.GzipFile(fileobj=handle) as gz:
                while chunk := gz.read(1 << 20):
                    total += len(chunk)
                    if total > limit:
                        raise InputError(f"{p}: decompresses to more than {limit} bytes; refusing")
                    chunks.append(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{p}: not a readable gzip file ({exc})") from None
        return b"".join(chunks)


def load_estate(path: str | os.PathLike[str], max_bytes: int | None = None) -> Estate:
    """Read and validate a snapshot; raise InputError with a one-line message on any problem.

    ``max_bytes`` caps the (decompressed) size; default :func:`max_input_bytes`.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a vmscan snapshot file")
    if not p.is_file():
        raise not_a_regular_file(p, "a vmscan snapshot file")
    try:
        raw = _read_bytes(p, max_input_bytes() if max_bytes is None else max_bytes)
    except PermissionError:
        raise InputError(f"{p}: permission denied") from None
    except OSError as exc:  # a read error names no file (/proc/self/mem: EIO): say which one
        raise InputError(f"{p}: cannot read it ({exc.strerror or exc})") from None
    if not raw.strip():
        raise InputError(f"{p}: file is empty")
    try:
        data: Any = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not a vmscan snapshot (not UTF-8 JSON text; bad byte at offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}: not valid JSON ({exc.__class__.__name__} at byte {getattr(exc, 'pos', '?')})") from None
    except RecursionError:
        raise InputError(f"{p}: not a vmscan inventory (JSON nested too deeply)") from None
    except ValueError as exc:
        # e.g. an integer of thousands of digits, which Python refuses to convert
        reason = "a number with thousands of digits" if "digits" in str(exc) else one_line_reason(exc)
        raise InputError(f"{p}: not a vmscan inventory ({reason})") from None
    return estate_from_plain(data, str(p))


def one_line_reason(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


def estate_from_plain(data: Any, origin: str) -> Estate:
    if not isinstance(data, dict):
        raise InputError(f"{origin}: not a vmscan inventory (top level is not an object)")
    schema = data.get("schema")
    if schema != SCHEMA_NAME:
        found = "no 'schema' key" if schema is None else f"schema is {schema!r}"
        raise InputError(f"{origin}: not a vmscan inventory ({found}, expected {SCHEMA_NAME!r})")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(
            f"{origin}: inventory schema_version {version!r} is not supported (this vmscan reads {SCHEMA_VERSION})"
        )
    try:
        estate = from_plain(Estate, data)
    except SchemaMismatch as exc:
        raise InputError(f"{origin}: invalid inventory: {exc}") from None
    negative = first_negative_size(estate)
    if negative is not None:
        raise InputError(f"{origin}: invalid inventory: {negative} is negative (a count or size cannot be)")
    repeated = first_repeated_vm(estate)
    if repeated is not None:
        raise InputError(f"{origin}: invalid inventory: {repeated}")
    return estate


def first_repeated_vm(estate: Estate) -> str | None:
    """Where a VM id first comes back within one vCenter, else None: vmscan never writes one (the
    collector skips a VM already read; merging inputs counts a VM once), and a VM listed twice would be
    counted, sized and planned twice."""
    for vc_index, vcenter in enumerate(estate.vcenters):
        first_index: dict[str, int] = {}
        for vm_index, vm in enumerate(vcenter.vms):
            earlier = first_index.setdefault(vm.id, vm_index)
            if earlier != vm_index:
                return (f"vcenters[{vc_index}].vms[{vm_index}].id {vm.id!r} is also vcenters[{vc_index}].vms[{earlier}]"
                        " (the same VM listed twice)")
    return None


# VM fields that count or measure something; each is None (unknown) or at least 0. (The limits are
# not among them: -1 means unlimited.)
VM_SIZE_FIELDS = ("num_cpu", "cores_per_socket", "memory_mib", "storage_committed_bytes",
                  "storage_uncommitted_bytes", "storage_unshared_bytes", "snapshot_count")


def first_negative_size(estate: Estate) -> str | None:
    """Where the first negative count or size of a VM or of one of its disks is, as a path, else None:
    vmscan's collector and reader never write one, and the sums and the sizing would go wrong."""
    for vc_index, vcenter in enumerate(estate.vcenters):
        for vm_index, vm in enumerate(vcenter.vms):
            for name in VM_SIZE_FIELDS:
                value = getattr(vm, name)
                if value is not None and value < 0:
                    return f"vcenters[{vc_index}].vms[{vm_index}].{name} = {value}"
            for disk_index, disk in enumerate(vm.disks or ()):
                capacity = disk.capacity_bytes
                if capacity is not None and capacity < 0:
                    return f"vcenters[{vc_index}].vms[{vm_index}].disks[{disk_index}].capacity_bytes = {capacity}"
    return None
