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
