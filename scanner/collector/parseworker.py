"""A second process that parses and maps half of the VMs of a collection.

lxml's parser and the conversion to pyVmomi objects hold the GIL, so one Python process reads a
10,000-VM answer on one core however many there are. During the VM request the collector hands
every other run of whole ``objects`` elements (soapstream.split_objects) to this worker
unparsed; the worker reads them with the same parser and maps them with the same function
(collect.vm_result) as the collector does its own, and sends the results back; the collector
hands them on in answer order. Nothing here talks to vCenter: the worker only sees bytes.

The two processes talk over the worker's stdin/stdout in frames: one kind byte, an 8-byte
length, the payload. Any trouble with the worker (it cannot start, dies, answers nonsense) is
a ParseWorkerFailed, and the collector reads the VMs again on its own, as it also does when
the answer is unreadable (so that the error is the one the ordinary parser gives).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import fcntl
import io
import operator
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

_HEADER = struct.Struct(">cQ")
_COUNT = struct.Struct(">I")
# Collector -> worker
SETUP = b"S"  # pickle of (API version, vCenter name, Lookups)
DOCUMENT = b"D"  # a new answer: its text before the first object
RUN = b"R"  # 4-byte object count + whole objects of the current answer
PERF_SETUP = b"P"  # pickle of (API version, {counter key: perf.CounterInfo}, expected samples)
PERF_ANSWER = b"Q"  # one whole (decoded) QueryPerf answer body
# Worker -> collector
RESULTS = b"V"  # pickle of the list of collect.VmResult of one run
PERF_STATS = b"T"  # dump_results of the {VM moref: {counter: PerfStats}} of one QueryPerf answer
ERROR = b"E"  # what went wrong, UTF-8


MAX_RUNS_IN_HAND = 2
# Answers handed to the history worker and not yet answered, at most: enough that it never
# waits for the collector's threads (which take the GIL in turns to hand over and to take
# back), few enough that the collector does not wait for it long at the end (~15 ms each).
HISTORY_ANSWERS_IN_HAND = 4
# Both pipes as large as Linux allows by default: a run (soapstream.OBJECT_RUN_BYTES) goes in one write.
PIPE_BYTES = 1024 * 1024


class ParseWorkerFailed(RuntimeError):
    """The worker process is gone or misbehaved (not a problem of the vCenter answer)."""


def _frame_header(kind: bytes, parts: tuple[bytes, ...]) -> bytes:
    return _HEADER.pack(kind, sum(len(part) for part in parts))


def _write_frame(stream: IO[bytes], kind: bytes, *parts: bytes) -> None:
    stream.write(_frame_header(kind, parts))
    for part in parts:
        stream.write(part)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> tuple[bytes, bytes] | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    kind, size = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return kind, payload


def worker_wanted() -> bool:
    """Another core to run on (the worker only pays when it does not share the collector's core)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores > 1 and bool(sys.executable)


class ParseWorker:
    """The collector's side (a soapstream.Offload): hands runs to the worker, takes back their results.

    Its pipes are non-blocking and pumped from the collecting thread whenever the parse asks
    (wants, ready, results): a thread for them would wait for the GIL the parse holds at each
    pipe-full of a run.
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self._to_worker = process.stdin.fileno()
        self._from_worker = process.stdout.fileno()
        for fd in (self._to_worker, self._from_worker):
            os.set_blocking(fd, False)
            _widen_pipe(fd)
        self._outgoing = bytearray()
        self._incoming = bytearray()
        self._frames: collections.deque[tuple[bytes, bytes]] = collections.deque()
        self.failed: str | None = None
        self.closed = False
        self.submitted = 0  # runs handed over
        self.answered = 0  # answers received

    @classmethod
    def start(cls) -> ParseWorker | None:
        """Start the worker process (its imports overlap the rest of the collection); None if it cannot run."""
        process = _start_process()
        return None if process is None else cls(process)

    def _send(self, kind: bytes, *parts: bytes) -> None:
        self._outgoing += _frame_header(kind, parts)
        for part in parts:
            self._outgoing += part
        self._pump()

    def _pump(self) -> None:
        """Write what the pipe to the worker takes, read what the worker has sent; never waits."""
        if self.failed is not None:
            return
        try:
            while self._outgoing:
                written = os.write(self._to_worker, self._outgoing)
                del self._outgoing[:written]
        except BlockingIOError:
            pass
        except OSError as exc:
            self.failed = f"its input pipe: {exc.__class__.__name__}"
            return
        try:
            while True:
                data = os.read(self._from_worker, PIPE_BYTES)
                if not data:
                    self.failed = f"it ended (exit code {self.process.poll()})"
                    break
                self._incoming += data
        except BlockingIOError:
            pass
        except OSError as exc:
            self.failed = f"its output pipe: {exc.__class__.__name__}"
        while len(self._incoming) >= _HEADER.size:
            kind, size = _HEADER.unpack_from(self._incoming)
            if len(self._incoming) < _HEADER.size + size:
                break
            self._frames.append((kind, bytes(self._incoming[_HEADER.size : _HEADER.size + size])))
            del self._incoming[: _HEADER.size + size]
            self.answered += 1

    def setup(self, api_version: str | None, vcenter_name: str, lookups: Any) -> None:
        """What the worker needs before the first run: the API version and the names VMs refer to."""
        self._send(SETUP, pickle.dumps((api_version, vcenter_name, lookups), pickle.HIGHEST_PROTOCOL))

    # soapstream.Offload
    def start_document(self, head: bytes) -> None:
        self._send(DOCUMENT, head)

    def wants(self) -> bool:
        # Two runs in hand keep it busy; beyond that the collector parses the run itself, so
        # the two processes share the work whatever else runs on the machine.
        self._pump()
        return self.failed is None and self.submitted - self.answered < MAX_RUNS_IN_HAND

    def submit(self, objects: bytes, count: int) -> None:
        self.submitted += 1
        self._send(RUN, _COUNT.pack(count), objects)

    def ready(self) -> bool:
        """Whether the results of the oldest run not taken yet are in (results() would not wait)."""
        self._pump()
        return bool(self._frames) or self.failed is not None

    def results(self, count: int) -> list[Any]:
        """The VmResults of the oldest run not taken yet (``count`` of them), in answer order."""
        self._pump()
        while not self._frames:
            if self.failed is not None:
                raise ParseWorkerFailed(f"the parse worker failed: {self.failed}")
            select.select([self._from_worker], [self._to_worker] if self._outgoing else [], [])
            self._pump()
        kind, payload = self._frames.popleft()
        if kind == ERROR:
            raise ParseWorkerFailed(f"the parse worker failed: {payload.decode('utf-8', 'replace')}")
        if kind != RESULTS:
            raise ParseWorkerFailed(f"the parse worker sent a frame of kind {kind!r}")
        results: list[Any] = pickle.loads(payload)  # noqa: S301 (our own worker, over its private pipe)
        if len(results) != count:
            raise ParseWorkerFailed(f"the parse worker read {len(results)} objects of a run of {count}")
        return results

    def close(self) -> None:
        """End the worker and reap it; never raises; once is enough.

        It holds nothing worth keeping once its results are in (or are no longer wanted), so it
        is killed rather than asked to finish (a timed wait polls: up to ~50 ms after the VMs).
        """
        if self.closed:
            return
        self.closed = True
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait()


def _rebuilt_by_init(cls: type) -> Any:
    """A pickle reducer that sends the fields' values only and rebuilds the object by ``cls(*values)``;
    None for a class whose __init__ would not give the same object back (a field left out of it or
    keyword-only, or a __post_init__ that could change a value)."""
    fields = dataclasses.fields(cls)
    if not fields or hasattr(cls, "__post_init__") or any(not f.init or f.kw_only for f in fields):
        return None
    values = operator.attrgetter(*(f.name for f in fields)) if len(fields) > 1 else None
    if values is None:
        name = fields[0].name
        return lambda obj: (cls, (getattr(obj, name),))
    return lambda obj: (cls, values(obj))


_RESULT_REDUCERS: dict[type, Any] | None = None


def _result_reducers() -> dict[type, Any]:
    """{class: reducer} for VmResult and every inventory dataclass (see dump_results)."""
    global _RESULT_REDUCERS
    if _RESULT_REDUCERS is None:
        from scanner.collector.collect import VmResult
        from scanner.inventory import model

        classes: list[type] = [VmResult]
        classes += [value for value in vars(model).values()
                    if isinstance(value, type) and dataclasses.is_dataclass(value)
                    and value.__module__ == model.__name__]
        reducers = {cls: _rebuilt_by_init(cls) for cls in classes}
        _RESULT_REDUCERS = {cls: reducer for cls, reducer in reducers.items() if reducer is not None}
    return _RESULT_REDUCERS


def dump_results(results: Any) -> bytes:
    """The worker's VmResults (or PerfStats) pickled, each dataclass as its class and its fields' values.

    Pickle's own way for a slotted dataclass calls dataclasses' __getstate__ (a list built by a
    Python loop over fields()) and, on the collector's side, __setstate__ (an object.__setattr__
    per field): ~40 % of the pickling and ~35 % of the unpickling of 5,000 mapped VMs, and the
    collector's unpickling is on the busier process. ``pickle.loads`` reads what this writes.
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _result_reducers()
    pickler.dump(results)
    return buffer.getvalue()


def _widen_pipe(fd: int) -> None:
    """Make the pipe PIPE_BYTES large, so that a run or an answer goes in one write."""
    with contextlib.suppress(OSError, AttributeError):  # Linux only; smaller pipes still work
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _start_process() -> subprocess.Popen[bytes] | None:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    # The worker imports this very vmscan, wherever it was imported from.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    try:
        return subprocess.Popen(
            [sys.executable, "-c", "from scanner.collector.parseworker import main; main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
    except OSError:
        return None


# Of every this many QueryPerf answers offered, the history worker is handed all but one (2 of 3).
# The collector's process also maps the inventory and reads its own share; since numpy reads the
# samples (88642a0), handing over every other answer left the worker the idler of the two (2 of 3:
# the 30-day collection's minimum 8.59-8.71 -> 8.30-8.38 s wall, 10 alternating rounds on the
# 10,000-VM CSV simulator, docs/benchmarks.md).
HANDOVER_CYCLE = 3


class HistoryWorker:
    """The collector's side of a worker that reads whole QueryPerf answers into per-VM PerfStats.

    Reading the history's CSV text into numbers, ranking and summing them is ~5 s of CPU for
    10,000 VMs; in the collector it runs on the one core the GIL allows, beside the inventory.
    The history's query threads hand some answers here (:meth:`wants`, :meth:`submit`) and read
    the rest themselves. Answers go in one at a time under a lock and come back in the same
    order, read by a thread of their own (blocking pipes: waiting on them releases the GIL).
    Any trouble fails the answers in hand with ParseWorkerFailed; the caller then reads them itself.
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self._to_worker = process.stdin
        self._from_worker = process.stdout
        for stream in (self._to_worker, self._from_worker):
            _widen_pipe(stream.fileno())
        self._sending = threading.Lock()
        self._lock = threading.Lock()  # the answers in hand and ``failed``
        self._in_hand: collections.deque[Future[Any]] = collections.deque()
        self.failed: str | None = None
        self.closed = False
        self.answered = 0
        self.queue = HISTORY_ANSWERS_IN_HAND
        self._offered = 0
        self._reader = threading.Thread(target=self._read_answers, name="vmscan-perf-worker", daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, api_version: str | None, counters: dict[int, Any], expected: int) -> HistoryWorker | None:
        """Start the worker and tell it the counters and the samples expected; None if it cannot run."""
        process = _start_process()
        if process is None:
            return None
        worker = cls(process)
        worker._send(PERF_SETUP, pickle.dumps((api_version, counters, expected), pickle.HIGHEST_PROTOCOL))
        return worker

    def _send(self, kind: bytes, payload: bytes, answer: Future[Any] | None = None) -> None:
        # Frames go out one at a time (the sending lock); the answer waits in hand before its frame
        # goes, so the reader finds it there however soon the worker answers. The reader never
        # takes the sending lock: a sender blocked on a full pipe must not keep it from emptying
        # the worker's (the two processes would wait for each other).
        with self._sending:
            with self._lock:
                if self.failed is None and answer is not None:
                    self._in_hand.append(answer)
                    answer = None
                failed = self.failed
            if failed is None:
                try:
                    _write_frame(self._to_worker, kind, payload)
                except (OSError, ValueError) as exc:  # ValueError: the pipe was closed
                    with self._lock:
                        self._fail_locked(f"its input pipe: {exc.__class__.__name__}")
        if answer is not None:
            answer.set_exception(ParseWorkerFailed(f"the history worker failed: {self.failed}"))

    def _fail_locked(self, why: str) -> None:
        self.failed = self.failed or why
        while self._in_hand:
            self._in_hand.popleft().set_exception(ParseWorkerFailed(f"the history worker failed: {self.failed}"))

    def _read_answers(self) -> None:
        while True:
            try:
                frame = _read_frame(self._from_worker)
            except (OSError, ValueError):
                frame = None
            with self._lock:
                if frame is None or not self._in_hand:
                    why = "an answer nobody asked for" if frame is not None else "it ended"
                    self._fail_locked(why)
                    return
                answer = self._in_hand.popleft()
                self.answered += 1
            kind, payload = frame
            if kind == PERF_STATS:
                answer.set_result(pickle.loads(payload))  # noqa: S301 (our own worker, over its private pipe)
            elif kind == ERROR:
                answer.set_exception(ParseWorkerFailed(payload.decode("utf-8", "replace")))
            else:
                answer.set_exception(ParseWorkerFailed(f"the history worker sent a frame of kind {kind!r}"))

    def wants(self) -> bool:
        """Whether to hand it the answer at hand: all but every HANDOVER_CYCLE-th, while fewer than
        ``queue`` wait.

        Not all: an answer is handed over in far less time than it is read, so a rule on the queue
        alone would hand the worker nearly all of them and leave the collector's core idle.
        """
        with self._lock:
            self._offered += 1
            return self.failed is None and self._offered % HANDOVER_CYCLE != 0 and len(self._in_hand) < self.queue

    def submit(self, body: bytes) -> Future[Any]:
        """Hand over a whole QueryPerf answer body; its {VM moref: {counter: PerfStats}} comes later.

        Waits only while the pipe is full (the worker reads the next answer once done with one).
        """
        answer: Future[Any] = Future()
        self._send(PERF_ANSWER, body, answer)
        return answer

    def stats(self, body: bytes) -> Any:
        """:meth:`submit`'s statistics, waited for."""
        return self.submit(body).result()

    def close(self) -> None:
        """End the worker and reap it; never raises; once is enough (nothing it holds is kept)."""
        if self.closed:
            return
        self.closed = True
        with self._lock:
            self._fail_locked("it was closed")  # (kept as the reason, unless it failed before)
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait()
        self._reader.join()
        for stream in (self._to_worker, self._from_worker):
            with contextlib.suppress(OSError):
                stream.close()


class _Stub:
    """What the parser needs of pyVmomi's stub: the API version (references are not bound to a session)."""

    def __init__(self, version: str | None) -> None:
        self.version = version


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker: read frames until the input ends; answer every run with its results or an error."""
    from scanner.collector.collect import vm_kept_items, vm_result
    from scanner.collector.perf import answer_stats, load_sample_reader
    from scanner.collector.soapstream import StreamResult, TypeCatalog, _ResultParser

    catalog: TypeCatalog | None = None
    parser: _ResultParser | None = None
    vcenter_name = ""
    lookups: Any = None
    perf: tuple[TypeCatalog, dict[int, Any], int] | None = None
    while True:
        frame = _read_frame(stdin)
        if frame is None:
            return
        kind, payload = frame
        try:
            if kind == SETUP:
                version, vcenter_name, lookups = pickle.loads(payload)  # noqa: S301 (from the collector)
                catalog = TypeCatalog(_Stub(version), vm_kept_items())
            elif kind == DOCUMENT:
                if catalog is None:
                    raise ParseWorkerFailed("an answer before the setup")
                parser = _ResultParser(catalog, StreamResult())
                parser.feed(payload)
            elif kind == RUN:
                if parser is None:
                    raise ParseWorkerFailed("objects before the start of their answer")
                (count,) = _COUNT.unpack_from(payload)
                items = parser.feed(payload[_COUNT.size :], whole=True)  # a run: whole objects
                results = [vm_result(item, lookups, vcenter_name) for item in items]
                if len(results) != count:
                    raise ParseWorkerFailed(f"{len(results)} objects read of a run of {count}")
                _write_frame(stdout, RESULTS, dump_results(results))
            elif kind == PERF_SETUP:
                version, counters, expected = pickle.loads(payload)  # noqa: S301 (from the collector)
                perf = (TypeCatalog(_Stub(version)), counters, expected)
                load_sample_reader()  # while the first answer is on its way
            elif kind == PERF_ANSWER:
                if perf is None:
                    raise ParseWorkerFailed("a QueryPerf answer before the setup")
                stats = answer_stats(iter((payload,)), *perf)
                # Each PerfStats as its fields' values (dump_results): pickled and unpickled (the latter
                # in the collector) in ~40 % of pickle's own time, ~0.08 s of CPU less for 10,000 VMs.
                _write_frame(stdout, PERF_STATS, dump_results(stats))
        except Exception as exc:  # reported to the collector, which then reads the VMs itself
            parser = None
            _write_frame(stdout, ERROR, f"{exc.__class__.__name__}: {exc}".encode("utf-8", "replace"))


def main() -> None:
    from scanner.gcpause import cyclic_gc_paused

    # As in the collector's own VM step: parsing makes many objects and next to no cycles.
    with cyclic_gc_paused():
        serve(sys.stdin.buffer, sys.stdout.buffer)
