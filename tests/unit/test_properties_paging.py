"""The ContinueRetrievePropertiesEx token loop, against a fake PropertyCollector.

The simulator never pages, so this is where paging is proven.
"""

from __future__ import annotations

from typing import Any

from pyVmomi import vim, vmodl

from scanner.collector.properties import retrieve_pages

PC = vmodl.query.PropertyCollector


def content(moref: str, name: str, missing: list[str] = ()) -> Any:  # type: ignore[assignment]
    return PC.ObjectContent(
        obj=vim.VirtualMachine(moref),
        propSet=[vmodl.DynamicProperty(name="name", val=name)],
        missingSet=[
            PC.MissingProperty(path=p, fault=vim.fault.NoPermission(privilegeId="System.Read")) for p in missing
        ],
    )


class FakePropertyCollector:
    def __init__(self, pages: list[list[Any]]) -> None:
        self.pages = pages
        self.calls: list[tuple[str, Any]] = []

    def _result(self, index: int) -> Any:
        token = f"token-{index + 1}" if index + 1 < len(self.pages) else None
        return PC.RetrieveResult(token=token, objects=self.pages[index])

    def RetrievePropertiesEx(self, specSet: Any, options: Any) -> Any:
        self.calls.append(("RetrievePropertiesEx", options.maxObjects))
        return self._result(0)

    def ContinueRetrievePropertiesEx(self, token: str) -> Any:
        self.calls.append(("ContinueRetrievePropertiesEx", token))
        return self._result(int(token.split("-")[1]))

    def CancelRetrievePropertiesEx(self, token: str) -> None:
        self.calls.append(("CancelRetrievePropertiesEx", token))


def test_follows_tokens_until_the_last_page() -> None:
    collector = FakePropertyCollector(
        [[content("vm-1", "a"), content("vm-2", "b")], [content("vm-3", "c")], [content("vm-4", "d", ["config"])]]
    )
    pages: list[int] = []
    items = list(retrieve_pages(collector, spec=None, page_size=2, on_page=pages.append))
    assert [i.moref for i in items] == ["vm-1", "vm-2", "vm-3", "vm-4"]
    assert pages == [2, 1, 1]
    assert collector.calls == [
        ("RetrievePropertiesEx", 2),
        ("ContinueRetrievePropertiesEx", "token-1"),
        ("ContinueRetrievePropertiesEx", "token-2"),
    ]
    last = items[-1]
    assert last.missing[0].path == "config" and last.missing[0].fault == "NoPermission"
    assert last.is_missing("config.hardware.device") and not last.is_missing("name")


def test_single_page_without_token() -> None:
    collector = FakePropertyCollector([[content("vm-1", "a")]])
    assert [i.values["name"] for i in retrieve_pages(collector, spec=None, page_size=100)] == ["a"]
    assert [c[0] for c in collector.calls] == ["RetrievePropertiesEx"]


def test_empty_result() -> None:
    class Empty(FakePropertyCollector):
        def RetrievePropertiesEx(self, specSet: Any, options: Any) -> Any:
            return None

    assert list(retrieve_pages(Empty([]), spec=None, page_size=10)) == []


def test_stopping_early_cancels_the_server_side_result() -> None:
    collector = FakePropertyCollector([[content("vm-1", "a")], [content("vm-2", "b")]])
    iterator = retrieve_pages(collector, spec=None, page_size=1)
    next(iterator)
    iterator.close()
    assert collector.calls[-1] == ("CancelRetrievePropertiesEx", "token-1")


def test_missing_properties_become_collection_issues() -> None:
    from scanner.collector.collect import _issues
    from scanner.collector.mappers import Lookups

    items = list(
        retrieve_pages(FakePropertyCollector([[content("vm-4", "db01", ["config.hardware.device"])]]), None, 10)
    )
    issues = _issues("vc1", Lookups(vcenter_name="vc1", vcenter_uuid="uuid-1"), items)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.vcenter, issue.object_id, issue.object_name, issue.property) == (
        "vc1",
        "uuid-1/vm-4",
        "db01",
        "config.hardware.device",
    )
    assert issue.message.startswith("NoPermission")


class FakeView(vim.view.ContainerView):  # type: ignore[misc]
    destroyed = 0

    def DestroyView(self) -> None:
        self.destroyed += 1


def parts_reading(monkeypatch: Any, listing: Any) -> tuple[Any, FakeView, list[Any]]:
    """A PartsReading whose view, listing and requests are fakes; the calls it makes are recorded."""
    from scanner.collector import properties, soapstream

    view = FakeView("session[1]view")
    calls: list[Any] = []
    monkeypatch.setattr(properties, "_container_view", lambda content, vim_type: view)
    monkeypatch.setattr(properties, "retrieve_one", lambda *args, **kwargs: listing)
    monkeypatch.setattr(soapstream, "object_set_requests",
                        lambda collector, sets, vim_type, paths, page_size: [[o._moId for o in s] for s in sets])

    class Answers:
        def __init__(self, collector: Any, requests: list[Any]) -> None:
            calls.append(("parts", requests))

        def items(self, page_size: int, *args: Any) -> Any:
            yield from ()

        def close(self) -> None:
            calls.append(("closed",))

    def pages(collector: Any, spec: Any, page_size: int, *args: Any) -> Any:
        calls.append(("through the view", spec.objectSet[0].obj is view))
        yield from ()

    monkeypatch.setattr(soapstream, "ObjectSetAnswers", Answers)
    monkeypatch.setattr(properties, "retrieve_pages", pages)
    reading = properties.PartsReading(type("Content", (), {"propertyCollector": None})(), vim.VirtualMachine,
                                      ["name"], page_size=2)
    return reading, view, calls


def test_parts_reading_asks_for_the_listed_objects_page_size_at_a_time(monkeypatch: Any) -> None:
    from scanner.collector.properties import ObjectProperties

    listed = [vim.VirtualMachine(f"vm-{n}") for n in range(1, 6)]
    reading, view, calls = parts_reading(
        monkeypatch, ObjectProperties(moref="session[1]view", obj=None, values={"view": listed}))
    assert calls == [("parts", [["vm-1", "vm-2"], ["vm-3", "vm-4"], ["vm-5"]])]
    assert list(reading.items()) == []
    assert calls[-1] == ("closed",) and view.destroyed == 1
    reading.close()
    assert view.destroyed == 1


def test_parts_reading_whose_listing_is_refused_reads_all_objects_through_the_view(monkeypatch: Any) -> None:
    from scanner.collector.properties import MissingProperty, ObjectProperties

    refused = ObjectProperties(moref="session[1]view", obj=None, values={},
                               missing=[MissingProperty(path="view", fault="NoPermission", message="")])
    reading, view, calls = parts_reading(monkeypatch, refused)
    assert calls == []
    assert list(reading.items()) == []
    assert calls == [("through the view", True)] and view.destroyed == 1
