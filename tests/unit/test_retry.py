"""Retry policy and classification, without a server."""

from types import SimpleNamespace

import pytest
from pyVmomi import vim, vmodl

from scanner.collector import collect
from scanner.collector.properties import MissingProperty, ObjectProperties
from scanner.collector.retry import Retrier, RetryPolicy, is_transient


def flaky(failures):
    calls = []

    def operation():
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return "done"

    return operation, calls


def test_backoff_delays_double_and_cap():
    assert RetryPolicy(attempts=6, initial_delay_s=1, multiplier=2, max_delay_s=5).delays() == [1, 2, 4, 5, 5]
    assert RetryPolicy(attempts=1).delays() == []


def test_transient_errors_are_retried_with_backoff():
    waits, notes = [], []
    retrier = Retrier(RetryPolicy(attempts=4, initial_delay_s=0.5), sleep=waits.append, notify=notes.append)
    operation, calls = flaky([ConnectionResetError(), TimeoutError()])
    assert retrier.run("VMs", operation) == "done"
    assert len(calls) == 3 and waits == [0.5, 1.0] and retrier.retries == 2
    assert notes[0] == "VMs: connection problem (ConnectionResetError); retrying in 0.5 s"


def test_gives_up_after_the_last_attempt():
    retrier = Retrier(RetryPolicy(attempts=3, initial_delay_s=0), sleep=lambda s: None)
    operation, calls = flaky([ConnectionResetError()] * 5)
    with pytest.raises(ConnectionResetError):
        retrier.run("VMs", operation)
    assert len(calls) == 3


def test_not_authenticated_logs_in_again_without_waiting():
    logins, waits = [], []
    retrier = Retrier(RetryPolicy(attempts=3), relogin=lambda: logins.append(1), sleep=waits.append)
    operation, calls = flaky([vim.fault.NotAuthenticated()])
    assert retrier.run("hosts", operation) == "done"
    assert logins == [1] and waits == [] and retrier.relogins == 1 and len(calls) == 2


def test_not_authenticated_without_relogin_is_raised():
    operation, _ = flaky([vim.fault.NotAuthenticated()])
    with pytest.raises(vim.fault.NotAuthenticated):
        Retrier(RetryPolicy(attempts=3)).run("hosts", operation)


@pytest.mark.parametrize("error", [vim.fault.NoPermission(), vmodl.fault.InvalidArgument(), ValueError("x")])
def test_server_faults_and_bugs_are_not_retried(error):
    operation, calls = flaky([error])
    with pytest.raises(type(error)):
        Retrier(RetryPolicy(attempts=3), sleep=lambda s: None).run("VMs", operation)
    assert len(calls) == 1


def test_certificate_errors_are_not_transient():
    import ssl

    assert not is_transient(ssl.SSLCertVerificationError("bad cert"))
    assert is_transient(ConnectionResetError()) and is_transient(TimeoutError())


def test_deleted_object_is_skipped_with_a_note(monkeypatch):
    about = SimpleNamespace(instanceUuid="u-1", version="8.0", build="1", fullName="vc", apiVersion="8.0")
    collector = collect._Collector(SimpleNamespace(about=about), "vc1", 10, None)
    alive = ObjectProperties("vm-1", None, {"name": "keep"})
    gone = ObjectProperties("vm-2", None, {"name": "gone"},
                            [MissingProperty("config", "ManagedObjectNotFound", "deleted")])
    monkeypatch.setattr(collect, "iter_all", lambda *args, **kwargs: iter([alive, gone]))
    assert collector._retrieve("VMs", vim.VirtualMachine, ["name"]) == [alive]
    (issue,) = collector.issues
    assert issue.object_name == "gone" and "deleted during collection; skipped" in issue.message


def test_stream_retry_skips_items_already_yielded():
    passes = []

    def start():
        passes.append(1)
        yield "vm-1"
        yield "vm-2"
        if len(passes) == 1:
            raise ConnectionResetError()
        yield "vm-3"

    retrier = Retrier(RetryPolicy(attempts=3, initial_delay_s=0), sleep=lambda s: None)
    assert list(retrier.iterate("VMs", start, key=str)) == ["vm-1", "vm-2", "vm-3"]
    assert len(passes) == 2 and retrier.retries == 1
