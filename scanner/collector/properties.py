"""Bulk property retrieval: ContainerView + RetrievePropertiesEx with explicit paths, paged.

Each pyVmomi attribute read on a managed object is one SOAP round trip, so vmscan never walks
objects attribute by attribute. For every managed-object type it opens a recursive ContainerView,
asks the PropertyCollector for an explicit list of property paths, follows the
``ContinueRetrievePropertiesEx`` token until the result is complete, and destroys the view.

Properties the server refuses (``missingSet``, e.g. NoPermission) are reported back per object;
the caller leaves the field None and records a collection issue.

The VMs (most of the answer's bytes) are asked for in parts instead (PartsReading): the view
lists them, and each part names its objects, so that the server builds the next parts while
vmscan parses one.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pyVmomi import vim, vmodl

DEFAULT_PAGE_SIZE = 500

# How PropertyCollector responses are read: vmscan's streaming parser (fast, bounded memory;
# scanner/collector/soapstream.py) or pyVmomi's own deserializer (the reference).
PARSER_STREAM = "stream"
PARSER_PYVMOMI = "pyvmomi"
PARSERS = (PARSER_STREAM, PARSER_PYVMOMI)
DEFAULT_PARSER = PARSER_STREAM


@dataclasses.dataclass
class MissingProperty:
    path: str
    fault: str  # fault type name, e.g. "NoPermission"
    message: str


@dataclasses.dataclass
class ObjectProperties:
    """The properties of one managed object, keyed by the requested path."""

    moref: str
    obj: Any  # the pyVmomi managed object reference (never read attributes from it)
    values: dict[str, Any]
    missing: list[MissingProperty] = dataclasses.field(default_factory=list)

    def get(self, path: str, default: Any = None) -> Any:
        return self.values.get(path, default)

    def is_missing(self, path: str) -> bool:
        """True when the server refused ``path`` or one of its parents."""
        return any(path == m.path or path.startswith(m.path + ".") for m in self.missing)


PageCallback = Callable[[int], None]


def _container_view(content: Any, vim_type: type) -> Any:
    return content.viewManager.CreateContainerView(container=content.rootFolder, type=[vim_type], recursive=True)


def _filter_spec(root: Any, vim_type: type, paths: Sequence[str], via_view: bool) -> Any:
    prop_spec = vmodl.query.PropertyCollector.PropertySpec(type=vim_type, pathSet=list(paths), all=False)
    if via_view:
        traverse = vmodl.query.PropertyCollector.TraversalSpec(
            name="traverseView", path="view", skip=False, type=vim.view.ContainerView
        )
        obj_spec = vmodl.query.PropertyCollector.ObjectSpec(obj=root, skip=True, selectSet=[traverse])
    else:
        obj_spec = vmodl.query.PropertyCollector.ObjectSpec(obj=root, skip=False)
    return vmodl.query.PropertyCollector.FilterSpec(propSet=[prop_spec], objectSet=[obj_spec])


def _missing(entry: Any) -> list[MissingProperty]:
    result = []
    for item in entry.missingSet or []:
        fault = item.fault
        result.append(
            MissingProperty(
                path=item.path,
                fault=type(fault).__name__.rsplit(".", 1)[-1] if fault is not None else "Unknown",
                message=(getattr(fault, "msg", None) or "") if fault is not None else "",
            )
        )
    return result


def retrieve_pages(
    property_collector: Any,
    spec: Any,
    page_size: int,
    on_page: PageCallback | None = None,
    parser: str = PARSER_PYVMOMI,
    kept_items: dict[type, tuple[type, ...]] | None = None,
    offload: Any = None,
) -> Iterator[Any]:
    """Yield every object of ``spec``, following ContinueRetrievePropertiesEx tokens.

    A real vCenter returns at most ``page_size`` objects per call (it may return fewer); the
    simulator ignores the limit and returns everything at once. If iteration stops early the
    remaining result set is released with CancelRetrievePropertiesEx.

    ``kept_items`` ({list item type: the classes read}) lets the streaming parser leave the
    other items out of such lists without building them; pyVmomi's deserializer builds them all.
    ``offload`` (a soapstream.Offload, streaming parser only) takes runs of whole objects unparsed:
    a soapstream.OffloadedObjects is yielded in their place.
    """
    if parser == PARSER_STREAM:
        from scanner.collector.soapstream import stream_pages

        yield from stream_pages(property_collector, spec, page_size, on_page, kept_items, offload)
        return
    if parser != PARSER_PYVMOMI:
        raise ValueError(f"unknown parser {parser!r} (expected one of {', '.join(PARSERS)})")
    options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=page_size)
    result = property_collector.RetrievePropertiesEx(specSet=[spec], options=options)
    token = None
    finished = False
    try:
        while result is not None:
            token = result.token
            objects = result.objects or []
            for entry in objects:
                values = {prop.name: prop.val for prop in entry.propSet or []}
                yield ObjectProperties(moref=entry.obj._moId, obj=entry.obj, values=values, missing=_missing(entry))
            if on_page is not None:
                on_page(len(objects))
            if not token:
                break
            result = property_collector.ContinueRetrievePropertiesEx(token=token)
        finished = True
    finally:
        if not finished and token:
            with contextlib.suppress(Exception):
                property_collector.CancelRetrievePropertiesEx(token=token)


def iter_all(
    content: Any,
    vim_type: type,
    paths: Sequence[str],
    page_size: int = DEFAULT_PAGE_SIZE,
    on_page: PageCallback | None = None,
    parser: str = PARSER_PYVMOMI,
    kept_items: dict[type, tuple[type, ...]] | None = None,
    offload: Any = None,
) -> Iterator[Any]:
    """Properties ``paths`` of every ``vim_type`` object under the root folder (recursive), as they arrive.

    With the streaming parser each object is yielded as soon as it is parsed, so a caller that
    maps and drops it keeps memory bounded however large the page. ``kept_items``, ``offload``:
    see retrieve_pages.
    """
    view = _container_view(content, vim_type)
    try:
        spec = _filter_spec(view, vim_type, paths, via_view=True)
        yield from retrieve_pages(content.propertyCollector, spec, page_size, on_page, parser, kept_items, offload)
    finally:
        with contextlib.suppress(Exception):
            view.DestroyView()


class PartsReading:
    """Every ``vim_type`` object's ``paths``, asked for ``page_size`` objects at a time, the parts read
    ahead from the moment this is made (see soapstream.ObjectSetAnswers). Streaming parser only.

    The view lists the objects (one small answer); each part names its objects, and one deleted
    meanwhile comes back with a missingSet. The objects come in the view's order, as with iter_all.
    """

    def __init__(self, content: Any, vim_type: type, paths: Sequence[str], page_size: int) -> None:
        from scanner.collector.soapstream import ObjectSetAnswers, object_set_requests

        self.content = content
        self.vim_type = vim_type
        self.paths = list(paths)
        self.page_size = page_size
        self.answers: ObjectSetAnswers | None = None
        self.closed = False
        self.view = _container_view(content, vim_type)
        try:
            listing = retrieve_one(content, self.view, vim.view.ContainerView, ["view"], parser=PARSER_STREAM)
            if listing is not None and not listing.missing:
                objects = list(listing.values.get("view") or [])
                parts = [objects[start : start + page_size] for start in range(0, len(objects), page_size)]
                requests = object_set_requests(content.propertyCollector, parts, vim_type, self.paths, page_size)
                self.answers = ObjectSetAnswers(content.propertyCollector, requests)
        except BaseException:
            self.close()
            raise

    def items(
        self,
        on_page: PageCallback | None = None,
        kept_items: dict[type, tuple[type, ...]] | None = None,
        offload: Any = None,
    ) -> Iterator[Any]:
        """Each object as it is parsed (see retrieve_pages); closes this at the end. Once only."""
        try:
            if self.answers is not None:
                yield from self.answers.items(self.page_size, on_page, kept_items, offload)
            else:  # the view's list refused: all objects through the view, in one go
                spec = _filter_spec(self.view, self.vim_type, self.paths, via_view=True)
                yield from retrieve_pages(self.content.propertyCollector, spec, self.page_size, on_page,
                                          PARSER_STREAM, kept_items, offload)
        finally:
            self.close()

    def close(self) -> None:
        """Ask for nothing more and destroy the view; once is enough."""
        if self.closed:
            return
        self.closed = True
        if self.answers is not None:
            self.answers.close()
        with contextlib.suppress(Exception):
            self.view.DestroyView()


def retrieve_all(
    content: Any,
    vim_type: type,
    paths: Sequence[str],
    page_size: int = DEFAULT_PAGE_SIZE,
    on_page: PageCallback | None = None,
    parser: str = PARSER_PYVMOMI,
) -> list[ObjectProperties]:
    """Properties ``paths`` of every ``vim_type`` object under the root folder (recursive)."""
    return list(iter_all(content, vim_type, paths, page_size, on_page, parser))


def retrieve_one(
    content: Any, obj: Any, vim_type: type, paths: Sequence[str], parser: str = PARSER_PYVMOMI
) -> ObjectProperties | None:
    """Properties of a single known object (e.g. the CustomFieldsManager), in one call."""
    spec = _filter_spec(obj, vim_type, paths, via_view=False)
    for item in retrieve_pages(content.propertyCollector, spec, page_size=1, parser=parser):
        return item
    return None
