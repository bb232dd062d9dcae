"""QueryPerf answers read by the history worker process (parseworker.HistoryWorker): the same statistics.

Answers are read once in process (perf.answer_stats) and once through perf.offloaded_answer_stats
with a real worker process, from several threads at once as the history's query threads do. A
worker that dies mid-history, or cannot read an answer, must change nothing: the answers it held
are read in process, with the same statistics or the same error.
"""

from __future__ import annotations

import concurrent.futures
import gzip
from collections.abc import Iterator
from typing import Any

import pytest

from scanner.collector import perf
from scanner.collector.parseworker import HANDOVER_CYCLE, HistoryWorker, ParseWorkerFailed
from scanner.collector.perf import answer_stats, offloaded_answer_stats, query_stats
from scanner.collector.soapstream import StreamParseError, TypeCatalog
from tests.unit.test_perf_stream import COUNTERS, RECORDED, csv_result, int_result, query_perf_body
from tests.unit.test_soapstream import STUB, VERSION

EXPECTED = 360


def answers() -> list[bytes]:
    """The recorded simulator answer (one element per sample) and CSV answers as vCenter sends them."""
    bodies = [gzip.decompress(RECORDED.read_bytes())]
    for start in range(0, 40, 5):
        results = []
        for n in range(start, start + 5):
            # Noisy samples, a missing one (-1) every 50.
            series = [(k, "", [(n * 7 + k * i) % 1000 - (i % 50 == 0) for i in range(EXPECTED)]) for k in COUNTERS]
            results.append(csv_result(f"vm-{n}", series))
        results.append(int_result(f"vm-int-{start}", [(6, "", [start, -1, 3 * start])]))
        bodies.append(query_perf_body(results))
    return bodies


def chunked(body: bytes, size: int = 16_384) -> Iterator[bytes]:
    return (body[i : i + size] for i in range(0, len(body), size))


def in_process(body: bytes) -> dict[str, Any]:
    return answer_stats(chunked(body), TypeCatalog(STUB), COUNTERS, EXPECTED)


def through(worker: HistoryWorker | None, body: bytes) -> dict[str, Any]:
    return query_stats(offloaded_answer_stats(chunked(body), TypeCatalog(STUB), COUNTERS, EXPECTED, worker))


def started() -> HistoryWorker:
    worker = HistoryWorker.start(VERSION, COUNTERS, EXPECTED)
    assert worker is not None
    return worker


def test_the_worker_reads_answers_as_the_collector_would() -> None:
    bodies = answers()
    reference = [in_process(body) for body in bodies]
    assert all(reference) and len(reference[0]) == 2 and len(reference[1]) == 6
    worker = started()
    try:
        # Four query threads at once, as HistoryQueries runs them.
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            mine = list(pool.map(lambda body: through(worker, body), bodies * 3))
        offered = len(bodies) * 3
        # All but every HANDOVER_CYCLE-th, at most (fewer while the queue is full).
        assert 0 < worker.answered <= offered - offered // HANDOVER_CYCLE and worker.failed is None
    finally:
        worker.close()
    assert mine == reference * 3


def test_a_worker_killed_mid_history_changes_nothing() -> None:
    bodies = answers()
    reference = [in_process(body) for body in bodies]
    worker = started()
    try:
        assert through(worker, bodies[1]) == reference[1]
        assert worker.answered == 1
        # Killed with answers in hand (sent, their statistics never come) and more to come.
        original_submit = worker.submit

        def killed_after_sending(body: bytes) -> Any:
            worker.process.kill()
            return original_submit(body)

        worker.submit = killed_after_sending  # type: ignore[method-assign]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            mine = list(pool.map(lambda body: through(worker, body), bodies))
        assert worker.failed is not None and worker.answered == 1
        assert not worker.wants()  # the rest is read here
        with pytest.raises(ParseWorkerFailed):
            original_submit(bodies[0]).result()
    finally:
        worker.close()
    assert mine == reference
    assert worker.process.returncode is not None


def test_an_answer_the_worker_cannot_read_raises_what_the_collector_raises() -> None:
    bad = query_perf_body([int_result("vm-1", [(6, "", [1, 2])])]).replace(b">2<", b">two<")
    with pytest.raises(StreamParseError, match="unreadable QueryPerf") as here:
        in_process(bad)
    bodies = answers()
    worker = started()
    try:
        with pytest.raises(ParseWorkerFailed, match="unreadable QueryPerf"):
            worker.stats(bad)
        with pytest.raises(StreamParseError) as through_worker:
            through(worker, bad)
        assert str(through_worker.value) == str(here.value)
        # Still serving.
        assert worker.stats(bodies[2]) == in_process(bodies[2])
        assert worker.failed is None
    finally:
        worker.close()


def test_an_answer_too_long_to_hold_is_read_here_as_it_arrives(monkeypatch: Any) -> None:
    body = answers()[3]
    monkeypatch.setattr(perf, "OFFLOAD_ANSWER_BYTES", len(body) // 3)
    worker = started()
    try:
        assert through(worker, body) == in_process(body)
        assert worker.answered == 0  # never sent
    finally:
        worker.close()


def test_no_worker_or_a_closed_one_reads_here() -> None:
    body = answers()[4]
    assert through(None, body) == in_process(body)
    worker = started()
    worker.close()
    assert not worker.wants()
    assert through(worker, body) == in_process(body)
    with pytest.raises(ParseWorkerFailed):
        worker.stats(body)


def test_answers_and_statistics_larger_than_the_pipes_do_not_stall(monkeypatch: Any) -> None:
    """Many answers in hand whose statistics overflow the pipe back: the worker must never wait
    on a full pipe that the collector, itself waiting to send, does not empty."""
    from scanner.collector import parseworker

    monkeypatch.setattr(parseworker, "PIPE_BYTES", 4096)  # the smallest pipes Linux makes
    series = [(k, "", list(range(EXPECTED))) for k in COUNTERS]
    body = query_perf_body([csv_result(f"vm-{n}", series) for n in range(60)])  # stats ~20 KB
    reference = in_process(body)
    worker = started()
    worker.queue = 16
    pool = concurrent.futures.ThreadPoolExecutor(4)
    try:
        handed = list(pool.map(worker.submit, [body] * 16, timeout=30))
        assert [answer.result(timeout=30) for answer in handed] == [reference] * 16
    finally:
        worker.close()  # (a stalled sender's write then fails: the pool ends)
        pool.shutdown()


def test_the_worker_is_offered_two_answers_of_three_while_its_queue_has_room() -> None:
    worker = started()
    try:
        # Nothing in hand: the share alone decides (the collector reads every third answer itself).
        assert [worker.wants() for _ in range(6)] == [True, True, False, True, True, False]
    finally:
        worker.close()
