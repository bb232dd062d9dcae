"""The read-only guard refuses non-allow-listed vSphere methods before anything is sent."""

from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from scanner.collector.readonly import READ_ONLY_METHODS, ReadOnlyViolation, enforce_read_only


class FakeStub:
    def __init__(self):
        self.sent = []

    def InvokeMethod(self, mo, info, args, outerStub=None):
        self.sent.append(info.wsdlName)
        return "ok"


def guarded():
    stub = FakeStub()
    service_instance = SimpleNamespace(_stub=stub)
    recorded = []
    enforce_read_only(service_instance, record=recorded.append)
    return stub, recorded


@pytest.mark.parametrize("method", ["PowerOffVM_Task", "Destroy_Task", "CreateFolder", "ReconfigVM_Task",
                                    "SetCustomValue", "UpdateOptions", "CreateSnapshot_Task", "TerminateSession"])
def test_write_methods_are_refused_before_sending(method):
    stub, recorded = guarded()
    with pytest.raises(ReadOnlyViolation, match=method):
        stub.InvokeMethod(None, SimpleNamespace(wsdlName=method), ())
    assert stub.sent == [] and recorded == []


def test_read_methods_pass_and_are_recorded():
    stub, recorded = guarded()
    for method in ("RetrievePropertiesEx", "QueryPerf", "Fetch"):
        assert stub.InvokeMethod(None, SimpleNamespace(wsdlName=method), ()) == "ok"
    assert stub.sent == recorded == ["RetrievePropertiesEx", "QueryPerf", "Fetch"]


def test_guarding_twice_does_not_stack():
    stub, _ = guarded()
    enforce_read_only(SimpleNamespace(_stub=stub))
    stub.InvokeMethod(None, SimpleNamespace(wsdlName="Fetch"), ())
    assert stub.sent == ["Fetch"]


def test_allow_list_has_no_task_or_mutating_method():
    mutating = ("_Task", "Reconfig", "Update", "Set", "Destroy_", "Remove", "Delete", "Move", "Register", "Rename",
                "Power", "Reset", "Shutdown", "Reboot", "Mount", "Unmount", "Add", "Assign", "Terminate")
    # Sizes the "latest page" of vmscan's own session-scoped event collector, nothing in vCenter
    # (scanner/collector/events.py): the one "Set" method allowed.
    own_collector = {"SetCollectorPageSize"}
    assert [m for m in READ_ONLY_METHODS - own_collector if any(word in m for word in mutating)] == []


def test_violation_is_a_one_line_cli_error(monkeypatch, tmp_path):
    # A bug that calls a write method ends like any collection error: exit 2, one line.
    import scanner.collector.collect as collect

    def broken(*args, **kwargs):
        stub, _ = guarded()
        stub.InvokeMethod(None, SimpleNamespace(wsdlName="PowerOffVM_Task"), ())

    # collect_one is what the CLI's (multi-)vCenter collection runs per server.
    monkeypatch.setattr(collect, "collect_one", broken)
    monkeypatch.setenv("VC_PASS", "x")
    result = CliRunner().invoke(__import__("scanner.cli").cli.main,
                                ["collect", "-s", "vc.invalid", "-u", "u", "--password-env", "VC_PASS",
                                 "-o", str(tmp_path / "e.json.gz")])
    assert result.exit_code == 2
    assert "PowerOffVM_Task" in result.output and result.output.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
