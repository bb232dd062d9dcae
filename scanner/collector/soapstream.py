"""Stream-parse PropertyCollector responses, bypassing pyVmomi's SOAP deserializer.

pyVmomi's deserializer builds every data object through expat callbacks and type-checked
``setattr``; on a 10,000-VM ``RetrievePropertiesEx`` response (~120 MB with the device lists) it
needs tens of seconds and holds the whole result in memory. Here pyVmomi still does everything
else (session, cookie, connection pool, serializing the request), but the HTTP response body is
fed chunk by chunk into an lxml pull parser and each ``objects`` element is converted as soon
as it is complete, then dropped. Memory is bounded by one object plus one read buffer (plus,
for answers read ahead by ObjectSetAnswers, those answers: a few pages' bytes).

The values produced are the same pyVmomi classes the deserializer would produce (data objects
are created without running their type-checking constructor, with the same defaults), so the
pure mappers in mappers.py work on either path unchanged; a live test checks that both paths
give identical snapshots.

Conversion follows pyVmomi's rules: ``xsi:type`` narrows the static type (polymorphic device
lists, backings), ``ArrayOf*`` values become lists, managed object references become pyVmomi
managed objects bound to the session's stub, faults in ``missingSet`` are reported per property,
and a SOAP fault (HTTP 500) is deserialized by pyVmomi and raised exactly as pyVmomi would.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import dataclasses
import datetime
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from lxml import etree
from pyVmomi import SoapAdapter, VmomiSupport

from scanner.collector.perf import ArrivalOrder, RankedSamples, parse_values_csv, samples_for_stats
from scanner.collector.properties import MissingProperty, ObjectProperties
from scanner.collector.readonly import check_stub_call
from scanner.limits import READ_AHEAD_ANSWER_BYTES, SOAP_OBJECT_BYTES

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
READ_CHUNK_BYTES = 256 * 1024

DataObject = VmomiSupport.DataObject
ManagedObject = VmomiSupport.ManagedObject
LocalizedMethodFault = VmomiSupport.GetVmodlType("vmodl.LocalizedMethodFault")
# Types whose xsi:type is ignored (as pyVmomi does): their value names a type or method.
DYNAMIC_TYPES = (type, VmomiSupport.ManagedMethod, VmomiSupport.PropertyPath)
# xsd primitive names do not collide with vSphere type names (those are capitalised).
XSD_TYPES = {
    "string": str,
    "boolean": bool,
    "byte": VmomiSupport.byte,
    "short": VmomiSupport.short,
    "int": int,
    "long": VmomiSupport.long,
    "float": float,
    "double": VmomiSupport.double,
    "dateTime": VmomiSupport.datetime,
    "base64Binary": VmomiSupport.binary,
    "anyURI": VmomiSupport.URI,
    "anyType": object,
}


# What vCenter sends: UTC ("Z"), up to 16 fraction digits. Anything else goes to pyVmomi's parser.
_UTC_DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])"
                           r"(?:\.([0-9]{1,16}))?Z")


def parse_datetime(text: str) -> Any:
    """pyVmomi's ``Iso8601.ParseISO8601`` (the same value, the same tzinfo object, None when invalid).

    Its general parser (every ISO 8601 form, a dict of groups per value) is ~0.3 s of a 10,000-VM
    collection; the form vCenter sends is read here directly and everything else is left to it.
    """
    match = _UTC_DATETIME.fullmatch(text)
    if match is None:
        return SoapAdapter.Iso8601.ParseISO8601(text)
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                                 int(fraction[:6].ljust(6, "0")) if fraction else 0, _UTC)
    except ValueError:  # e.g. February 30th: pyVmomi answers None
        return SoapAdapter.Iso8601.ParseISO8601(text)


_UTC = SoapAdapter.Iso8601.TZManager.GetTZInfo()


# A tag not looked up yet (None in a by_tag cache means "not a property of this type").
_UNSEEN: Any = object()


class StreamParseError(ValueError):
    """The response is not a PropertyCollector result vmscan can read."""


Converter = Callable[[Any], Any]


@dataclasses.dataclass
class _DataInfo:
    cls: type
    defaults: dict[str, Any]
    list_attrs: tuple[str, ...]
    # XML element name -> (attribute name, property type, the property is a list)
    props: dict[str, tuple[str, Any, bool]]
    # Full tag ("{urn:vim25}key") -> (attribute name, converter, is a list); filled as seen.
    by_tag: dict[str, tuple[str, Converter, bool] | None] = dataclasses.field(default_factory=dict)


def _default(prop: Any) -> Any:
    """The value DataObject.__init__ gives an unset property (lists are handled separately)."""
    ptype = prop.type
    if prop.flags & VmomiSupport.F_OPTIONAL:
        return None
    if ptype is bool:
        return False
    if issubclass(ptype, VmomiSupport.Enum):
        return None
    if issubclass(ptype, str):
        return ""
    if issubclass(ptype, int | float):
        return ptype(0)
    return None


def _is_list(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, list)


BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


# The longest number vSphere sends: an xsd:long has 20 characters, a double ~25.
MAX_NUMBER_CHARS = 40


def _number_converter(declared: Any) -> Converter:
    """xsd:int/long/short/byte/float/double text -> number; junk or thousands of digits -> StreamParseError."""

    def convert(elem: Any) -> Any:
        text = (elem.text or "").strip()
        if len(text) > MAX_NUMBER_CHARS:
            raise StreamParseError(f"a number of {len(text)} characters in {_local_name(elem)}")
        try:
            return declared(text)
        except (ValueError, OverflowError):
            raise StreamParseError(f"{_local_name(elem)}: not a number: {text[:MAX_NUMBER_CHARS]!r}") from None

    return convert


def _local_name(elem: Any) -> str:
    return str(elem.tag).rsplit("}", 1)[-1]


def _parse_bool(elem: Any) -> bool:
    try:
        return BOOLEANS[elem.text]
    except KeyError:
        raise StreamParseError(f"not a boolean: {elem.text!r}") from None


def _text(elem: Any) -> str:
    return elem.text or ""


class TypeCatalog:
    """Resolves wsdl type names to pyVmomi types and builds (and caches) one converter per type.

    A converter turns one XML element into a value. Converters for primitive types ignore
    ``xsi:type`` (it cannot change the value); those for data objects and untyped values
    (``anyType``) honour it, which is what makes polymorphic device lists work.
    """

    def __init__(self, stub: Any, kept_items: dict[type, tuple[type, ...]] | None = None) -> None:
        self.stub = stub
        # List item type -> the item classes worth building; an item of any other class is
        # left out of its list unread (see kept_items_converter).
        self.kept_items = kept_items or {}
        self.version = getattr(stub, "version", None)
        self._wsdl: dict[str, Any] = {}
        self._managed: dict[str, type] = {}
        self._data: dict[type, _DataInfo] = {}
        self._static: dict[Any, Converter] = {}  # declared type -> converter (xsi-aware)
        self._exact: dict[Any, Converter] = {}  # concrete type -> converter
        self._narrowed: dict[tuple[str, Any], Converter] = {}  # (xsi:type, declared type) -> converter
        self._plain_data: dict[type, Converter] = {}  # data object type -> converter (no fault wrapping)
        self._local: dict[str, str] = {}
        self._any = self.converter(object)

    # --- names and types ---------------------------------------------------------------------

    def local(self, tag: Any) -> str | None:
        """``{urn:vim25}key`` -> ``key``; None for anything that is not an element name."""
        name = self._local.get(tag)
        if name is None:
            if not isinstance(tag, str):
                return None
            name = tag.rsplit("}", 1)[-1]
            self._local[tag] = name
        return name

    def _compatible(self, tp: Any) -> Any:
        if self.version and isinstance(tp, type) and hasattr(tp, "_version"):
            return VmomiSupport.GetCompatibleType(tp, self.version)
        return tp

    def wsdl_type(self, qualified: str) -> Any:
        """The type an ``xsi:type`` value names (``xsd:int``, ``ArrayOfVirtualDevice``); False if unknown."""
        tp = self._wsdl.get(qualified)
        if tp is None:
            name = qualified.rsplit(":", 1)[-1]
            if name.endswith("ManagedObjectReference"):
                # pyVmomi models references as ManagedObject (and ArrayOfManagedObject).
                name = name[: -len("Reference")]
            tp = XSD_TYPES.get(name)
            if tp is None:
                try:
                    tp = VmomiSupport.GetWsdlType(VmomiSupport.XMLNS_VMODL_BASE, name)
                except KeyError:
                    try:
                        tp = VmomiSupport.GuessWsdlType(name)
                    except KeyError:
                        # Unknown to this pyVmomi (newer server): keep the declared type.
                        tp = False
            if tp is not False:
                tp = self._compatible(tp)
            self._wsdl[qualified] = tp
        return tp

    def managed_type(self, name: str) -> type:
        tp = self._managed.get(name)
        if tp is None:
            try:
                tp = VmomiSupport.GetWsdlType(VmomiSupport.XMLNS_VMODL_BASE, name)
            except KeyError:
                try:
                    tp = VmomiSupport.GuessWsdlType(name)
                except KeyError:
                    tp = ManagedObject
            tp = self._compatible(tp)
            self._managed[name] = tp
        return tp

    def data_info(self, cls: type) -> _DataInfo:
        info = self._data.get(cls)
        if info is None:
            defaults: dict[str, Any] = {}
            list_attrs = []
            props: dict[str, tuple[str, Any, bool]] = {}
            for prop in cls._GetPropertyList():  # type: ignore[attr-defined]
                is_list = _is_list(prop.type)
                if is_list:
                    list_attrs.append(prop.name)
                else:
                    defaults[prop.name] = _default(prop)
                props[prop.name] = (prop.name, prop.type, is_list)
            info = _DataInfo(cls=cls, defaults=defaults, list_attrs=tuple(list_attrs), props=props)
            self._data[cls] = info
        return info

    def _property(self, info: _DataInfo, tag: Any) -> tuple[str, Converter, bool] | None:
        name = self.local(tag)
        prop = info.props.get(name) if name is not None else None
        entry: tuple[str, Converter, bool] | None = None
        if prop is not None:
            attr, ptype, is_list = prop
            converter: Converter
            if info.cls is LocalizedMethodFault and attr == "fault":
                converter = self._fault_body
            else:
                converter = self.converter(ptype.Item if is_list else ptype)
            entry = (attr, converter, is_list)
        info.by_tag[tag] = entry
        return entry

    # --- converters --------------------------------------------------------------------------

    def value(self, elem: Any, declared: Any) -> Any:
        """Convert one element whose declared type is ``declared``."""
        return self.converter(declared)(elem)

    def converter(self, declared: Any) -> Converter:
        """The converter for elements declared as ``declared`` (honouring xsi:type where it matters)."""
        conv = self._static.get(declared)
        if conv is None:
            conv = self._make_static(declared)
            self._static[declared] = conv
        return conv

    def _make_static(self, declared: Any) -> Converter:
        polymorphic = declared is object or (isinstance(declared, type) and issubclass(declared, DataObject | list))
        if not polymorphic:
            return self.exact(declared)
        base = self.exact(declared)
        # xsi:type -> converter for this declared type (a copy of _narrowed's entries, keyed
        # by the xsi:type alone: no tuple built per element).
        narrowed: dict[str | None, Converter] = {None: base}

        def convert(elem: Any) -> Any:
            xsi = elem.get(XSI_TYPE)
            conv = narrowed.get(xsi)
            if conv is None:
                conv = narrowed[xsi] = self._narrow(xsi, declared, base)
            return conv(elem)

        return convert

    def _narrow(self, xsi: str, declared: Any, base: Converter) -> Converter:
        dynamic = self.wsdl_type(xsi)
        conv = base
        if dynamic is not False and not (_is_list(dynamic) and _is_list(declared)):
            conv = self.exact(dynamic)
        self._narrowed[(xsi, declared)] = conv
        return conv

    def exact(self, tp: Any) -> Converter:
        """The converter for elements of exactly type ``tp``."""
        conv = self._exact.get(tp)
        if conv is None:
            conv = self._make_exact(tp)
            self._exact[tp] = conv
        return conv

    def _make_exact(self, tp: Any) -> Converter:
        if tp is str or tp is VmomiSupport.URI or tp is VmomiSupport.PropertyPath:
            return _text
        if tp is VmomiSupport.ManagedMethod:
            return _text
        if tp is bool:
            return _parse_bool
        if tp is object:
            # An untyped value without xsi:type (pyVmomi cannot read these either); keep its text.
            return lambda e: e.text
        if tp is VmomiSupport.datetime:
            return self._datetime
        if tp is VmomiSupport.binary:
            return lambda e: VmomiSupport.binary(base64.b64decode(e.text or ""))
        if tp is type:
            return lambda e: (self.wsdl_type(e.text) or None) if e.text else None
        if not isinstance(tp, type):
            raise StreamParseError(f"cannot convert values of type {tp!r}")
        if issubclass(tp, ManagedObject):
            return self._managed_ref
        if issubclass(tp, VmomiSupport.Enum):
            return _text
        declared: Any = tp  # pyVmomi's generated types carry attributes mypy cannot see
        if issubclass(tp, list):
            kept = self.kept_items.get(declared.Item)
            if kept is not None:
                return self._kept_items_converter(declared.Item, kept)
            item = self.converter(declared.Item)
            return lambda e: [item(child) for child in e]
        if issubclass(tp, Exception) and tp is not LocalizedMethodFault:
            # On the wire a fault-typed value is a LocalizedMethodFault; pyVmomi unwraps it.
            return self._localized_fault
        if issubclass(tp, DataObject):
            return self._data_converter(tp)
        if issubclass(tp, int | float):
            return _number_converter(declared)
        if issubclass(tp, str):
            return lambda e: declared(e.text or "")  # e.g. pyVmomi's Link
        raise StreamParseError(f"cannot convert values of type {tp.__name__}")

    def _kept_items_converter(self, item_type: type, kept: tuple[type, ...]) -> Converter:
        """A list of ``item_type`` holding only the items of a ``kept`` class: the others are not built.

        An item's class is its ``xsi:type`` as pyVmomi would narrow it (``item_type`` when it is
        absent or unknown to this pyVmomi). The kept items are converted as usual.
        """
        item = self.converter(item_type)
        wanted: dict[str | None, bool] = {}
        wsdl_type = self.wsdl_type

        def is_kept(xsi: str | None) -> bool:
            tp = wsdl_type(xsi) if xsi is not None else False
            if tp is False or _is_list(tp):
                tp = item_type
            keep = isinstance(tp, type) and issubclass(tp, kept)
            wanted[xsi] = keep
            return keep

        def convert(elem: Any) -> list[Any]:
            out = []
            for child in elem:
                xsi = child.get(XSI_TYPE)
                keep = wanted.get(xsi)
                if keep is None:
                    keep = is_kept(xsi)
                if keep:
                    out.append(item(child))
            return out

        return convert

    def _data_converter(self, cls: type) -> Converter:
        conv = self._plain_data.get(cls)
        if conv is None:
            conv = self._make_data_converter(self.data_info(cls))
            self._plain_data[cls] = conv
        return conv

    def _fault_body(self, elem: Any) -> Any:
        """The ``fault`` inside a LocalizedMethodFault: the fault data object itself."""
        xsi = elem.get(XSI_TYPE)
        tp = self.wsdl_type(xsi) if xsi is not None else False
        if not (isinstance(tp, type) and issubclass(tp, DataObject)):
            tp = VmomiSupport.GetVmodlType("vmodl.MethodFault")
        return self._data_converter(tp)(elem)

    def _make_data_converter(self, info: _DataInfo) -> Converter:
        cls = info.cls
        defaults = info.defaults
        list_attrs = info.list_attrs
        by_tag = info.by_tag
        new: Any = cls.__new__
        set_dict = object.__setattr__
        is_fault_wrapper = cls is LocalizedMethodFault

        def convert(elem: Any) -> Any:
            values = defaults.copy()
            for attr in list_attrs:
                values[attr] = []
            for child in elem:
                tag = child.tag
                prop = by_tag.get(tag, _UNSEEN)
                if prop is _UNSEEN:
                    prop = self._property(info, tag)
                if prop is None:
                    continue  # a property this pyVmomi does not know (newer server)
                attr, conv, is_list = prop
                value = conv(child)
                if not is_list:
                    values[attr] = value
                elif isinstance(value, list):
                    values[attr].extend(value)
                else:
                    values[attr].append(value)
            obj = new(cls)
            set_dict(obj, "__dict__", values)
            if is_fault_wrapper and values.get("fault") is not None:
                fault = values["fault"]
                fault.__dict__["msg"] = values.get("localizedMessage")
                return fault
            return obj

        return convert

    def _datetime(self, elem: Any) -> Any:
        value = parse_datetime(elem.text or "")
        if not value:
            raise StreamParseError(f"not a date-time: {elem.text!r}")
        return value

    def _managed_ref(self, elem: Any) -> Any:
        cls = self.managed_type(elem.get("type") or "ManagedObject")
        return cls(elem.text, self.stub, None)

    def _localized_fault(self, elem: Any) -> Any:
        return self.exact(LocalizedMethodFault)(elem)

    # --- PropertyCollector result ------------------------------------------------------------

    def object_content(self, elem: Any) -> ObjectProperties:
        """One ``objects`` element (ObjectContent) -> ObjectProperties."""
        obj: Any = None
        values: dict[str, Any] = {}
        missing: list[MissingProperty] = []
        known = self._local
        local = self.local
        for child in elem:
            tag = child.tag
            name = known.get(tag) or local(tag)
            if name == "propSet":
                prop_name: str | None = None
                value: Any = None
                for part in child:
                    tag = part.tag
                    part_name = known.get(tag) or local(tag)
                    if part_name == "name":
                        prop_name = part.text
                    elif part_name == "val":
                        value = self._any(part)
                if prop_name is None:
                    raise StreamParseError("propSet without a name")
                values[prop_name] = value
            elif name == "obj":
                obj = self._managed_ref(child)
            elif name == "missingSet":
                missing.append(self._missing(child))
        if obj is None:
            raise StreamParseError("objects element without obj")
        return ObjectProperties(moref=obj._moId, obj=obj, values=values, missing=missing)

    def _missing(self, elem: Any) -> MissingProperty:
        path = ""
        fault_name = "Unknown"
        message = ""
        for part in elem:
            part_name = self.local(part.tag)
            if part_name == "path":
                path = part.text or ""
            elif part_name == "fault":
                fault = self._localized_fault(part)
                if isinstance(fault, Exception):
                    fault_name = type(fault).__name__.rsplit(".", 1)[-1]
                    message = getattr(fault, "msg", None) or ""
        return MissingProperty(path=path, fault=fault_name, message=message)


@dataclasses.dataclass
class StreamResult:
    """Filled while a response is parsed: the continuation token, if the server sent one."""

    token: str | None = None
    bytes_read: int = 0


def _pull_parser(tags: tuple[str, ...], events: tuple[str, ...] = ("end",)) -> etree.XMLPullParser:
    """A pull parser reporting ``events`` of ``tags`` that never resolves entities or touches the network."""
    return etree.XMLPullParser(
        events=events,
        tag=tags,
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
    )


class _ResultParser:
    """The RetrievePropertiesEx reader fed piece by piece: each feed returns the objects it completed.

    Only direct children of a ``returnval`` count (that is not itself inside one): a data object
    with an ``objects`` or ``token`` property deeper down is not mistaken for them.

    lxml reports the start of each such ``returnval`` only (an event for every element's end
    costs ~11 % of the feed: a call into lxml with the GIL taken per element); the children
    before its last one are complete after each feed (an element starts only once the one before
    it ended), the last one once ``whole`` says so or at close.
    """

    def __init__(self, catalog: TypeCatalog, result: StreamResult) -> None:
        self.catalog = catalog
        self.result = result
        self.parser = _pull_parser(("{*}returnval",), events=("start",))
        self.returnvals: list[Any] = []  # the outermost returnval elements seen, in order
        self.saw_response = False
        self.object_limit = SOAP_OBJECT_BYTES.value()
        self.since_object = 0  # bytes fed since the last object was converted and dropped

    def feed(self, data: bytes, whole: bool = False) -> list[ObjectProperties]:
        """The objects ``data`` completed (callers keep pieces small: each object is held till
        returned). ``whole``: the caller knows that ``data`` ends right after a whole top-level
        ``objects`` element (a split_objects run), so the last one is complete too; believed only
        when ``data`` does end with an ``</objects>`` tag (else it is held, as without)."""
        items: list[ObjectProperties] = []
        for chunk in _bounded((data,)):
            self.since_object += len(chunk)
            if self.since_object > self.object_limit:
                # One <objects> element is built as a tree before it is converted: bound it.
                raise SOAP_OBJECT_BYTES.refuse("one object in a vCenter response of over", self.object_limit,
                                               self.object_limit)
            try:
                self.parser.feed(chunk)
                events = list(self.parser.read_events())
            except etree.XMLSyntaxError as exc:
                raise StreamParseError(f"malformed SOAP response: {exc}") from None
            for _event, elem in events:
                if not any(self.catalog.local(above.tag) == "returnval" for above in elem.iterancestors()):
                    self.returnvals.append(elem)
            self._take(items, last=False)
        if whole and data.endswith(b"</objects>"):
            self._take(items, last=True)
        return items

    def _take(self, items: list[ObjectProperties], last: bool) -> None:
        """Convert and drop the complete direct children of the returnval elements (``last``: all)."""
        local = self.catalog.local
        for returnval in self.returnvals:
            children = list(returnval)
            if not last:
                children = children[:-1]
            for elem in children:
                name = local(elem.tag)
                if name == "objects":
                    self.saw_response = True
                    self.since_object = 0
                    items.append(self.catalog.object_content(elem))
                elif name == "token":
                    self.saw_response = True
                    self.result.token = elem.text or None
                # Drop it (converted or not read) so that memory stays bounded by one object;
                # emptied first (lxml would otherwise walk the subtree it takes out).
                elem.clear()
                returnval.remove(elem)

    def close(self) -> list[ObjectProperties]:
        """The objects not returned yet (the last one of the answer); refuses what is not an answer."""
        try:
            root = self.parser.close()
        except etree.XMLSyntaxError as exc:
            raise StreamParseError(f"malformed SOAP response: {exc}") from None
        items: list[ObjectProperties] = []
        self._take(items, last=True)
        if not self.saw_response and not _is_empty_response(root):
            raise StreamParseError("not a RetrievePropertiesEx response")
        return items


def parse_retrieve_result(
    chunks: Iterator[bytes], catalog: TypeCatalog, result: StreamResult, offload: Offload | None = None
) -> Iterator[Any]:
    """Yield each ObjectContent of a RetrievePropertiesEx/ContinueRetrievePropertiesEx response body.

    ``chunks`` is the raw body; ``result.token`` is set once the token element has been read.
    With ``offload``, runs of whole ``objects`` elements are cut from the body (see
    split_objects) and each run is handed to it unparsed while it wants more: an
    OffloadedObjects stands in for them, in their place in the answer; the rest is parsed here
    as usual.
    """
    parser = _ResultParser(catalog, result)
    if offload is None:
        for chunk in _bounded(chunks):
            result.bytes_read += len(chunk)
            yield from parser.feed(chunk)
        yield from parser.close()
        return
    for kind, data, count in split_objects(chunks, parser.object_limit, OBJECT_RUN_BYTES):
        result.bytes_read += len(data)
        if kind == OBJECT_RUN and offload.wants():
            offload.submit(data, count)
            parser.saw_response = True
            yield OffloadedObjects(count)
            continue
        if kind == DOCUMENT_START:
            offload.start_document(data)
        if kind == OBJECT_RUN:
            # (A run ends right after its last object: that one is complete too.)
            yield from parser.feed(data, whole=True)
            continue
        for piece in _bounded((data,)):
            yield from parser.feed(piece)
    yield from parser.close()


@dataclasses.dataclass(frozen=True)
class OffloadedObjects:
    """``count`` whole objects of the answer handed to an Offload unparsed (their results come from it)."""

    count: int


class Offload(Protocol):
    """Where ``parse_retrieve_result`` hands runs of whole objects (e.g. another process)."""

    def start_document(self, head: bytes) -> None:
        """A new answer: the text before its first ``objects`` element (envelope, namespaces)."""

    def wants(self) -> bool:
        """Whether to hand it the next run now (else it is parsed here)."""

    def submit(self, objects: bytes, count: int) -> None:
        """``count`` whole top-level ``objects`` elements of the current answer, in answer order."""


# What split_objects yields: (kind, bytes, number of whole objects in them).
DOCUMENT_START = "start"  # the text before the first top-level <objects>
OBJECT_RUN = "objects"  # whole top-level <objects> elements (and the whitespace between them)
REST = "rest"  # anything else: the text after the last one, or all of an answer not cut
OBJECT_RUN_BYTES = 512 * 1024
# The envelope before the first object is a few hundred bytes; past this, the answer is not cut.
MAX_DOCUMENT_START = 64 * 1024
_OBJECTS = b"objects"


def split_objects(chunks: Iterator[bytes], object_limit: int,
                  run_bytes: int = OBJECT_RUN_BYTES) -> Iterator[tuple[str, bytes, int]]:
    """Cut a RetrievePropertiesEx body into its start, runs of whole top-level objects, and the rest.

    Concatenated, the pieces are the body. Each run is complete ``<objects>`` elements whose
    depth is tracked by their own tags only, which is exact when no comment, CDATA section or
    processing instruction (the only places a ``<`` can stand for itself) and no other spelling
    of the tag (a prefix, attributes, ``<objects/>``) occurs: from the first such sight the rest
    of the body is one REST piece, read by the ordinary parser. So is text other than
    whitespace between two objects (the runs must be siblings). A REST piece always starts
    where an object ended, so the pieces of a body can be parsed in two documents that each
    begin with the DOCUMENT_START: every element is whole in one of them.
    """
    buffer = b""
    started = False  # DOCUMENT_START handed on
    cut = True  # still cutting objects out (False: everything goes on as REST)
    depth = 0
    pos = 0  # tags before this position in the buffer have been read
    boundary = 0  # the end of the last whole top-level object in the buffer
    count = 0  # whole top-level objects before boundary
    for chunk in chunks:
        if not cut:
            yield REST, chunk, 0
            continue
        checked = max(len(buffer) - 1, 0)
        buffer += chunk
        # ("!" in chunk: one memchr; "<!" is a slow search where "<" is every few bytes.)
        if started and (b"!" in chunk or b"?" in chunk) and (buffer.find(b"<!", checked) >= 0
                                                              or buffer.find(b"<?", checked) >= 0):
            cut = False
        elif not started:
            first = _first_object(buffer)
            if first == -1 and len(buffer) <= MAX_DOCUMENT_START:
                continue
            if first is None or first == -1 or b"<!" in buffer[first:] or b"<?" in buffer[first:]:
                cut = False
            else:
                yield DOCUMENT_START, buffer[:first], 0
                buffer = buffer[first:]
                started = True
        if cut:
            pos, depth, boundary, count, cut = _read_object_tags(buffer, pos, depth, boundary, count)
        if not cut:
            if count:
                yield OBJECT_RUN, buffer[:boundary], count
            yield REST, buffer[boundary:], 0
            buffer = b""
            continue
        if len(buffer) - boundary > object_limit:
            raise SOAP_OBJECT_BYTES.refuse("one object in a vCenter response of over", object_limit, object_limit)
        if boundary >= run_bytes:
            yield OBJECT_RUN, buffer[:boundary], count
            buffer = buffer[boundary:]
            pos = max(pos - boundary, 0)  # (pos may be the ">" that ended the run)
            boundary = count = 0
    if cut:
        if count:
            yield OBJECT_RUN, buffer[:boundary], count
        if buffer[boundary:] or not started:
            yield REST, buffer[boundary:], 0


def _first_object(buffer: bytes) -> int | None:
    """Where the first ``<objects>`` starts; -1 when not seen yet; None when it is spelled otherwise."""
    index = buffer.find(b"<objects")
    if index < 0 or index + 8 >= len(buffer):
        return -1
    return index if buffer[index + 8] == 0x3E else None  # ">"


def _read_object_tags(
    buffer: bytes, pos: int, depth: int, boundary: int, count: int
) -> tuple[int, int, int, int, bool]:
    """Follow the ``<objects>`` / ``</objects>`` tags from ``pos``: (pos, depth, boundary, count, still cutting)."""
    while True:
        index = buffer.find(_OBJECTS, pos)
        if index < 0:
            return max(pos, len(buffer) - len(_OBJECTS)), depth, boundary, count, True
        after_index = index + len(_OBJECTS)
        if after_index >= len(buffer):
            return index, depth, boundary, count, True  # the character after it has not arrived
        after = buffer[after_index]
        if index >= 1 and buffer[index - 1] == 0x3C:  # "<objects"
            if after == 0x3E:
                if depth == 0 and buffer[boundary : index - 1].strip():
                    return pos, depth, boundary, count, False  # not a sibling of the last object
                depth += 1
            elif after in b" \t\r\n/":
                return pos, depth, boundary, count, False  # attributes or <objects/>: not cut
        elif index >= 2 and buffer[index - 2] == 0x3C and buffer[index - 1] == 0x2F:  # "</objects"
            if after == 0x3E:
                depth -= 1
                if depth < 0:
                    return pos, depth, boundary, count, False
                if depth == 0:
                    boundary = after_index + 1
                    count += 1
            elif after in b" \t\r\n":
                return pos, depth, boundary, count, False
        pos = after_index


def _bounded(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Split big chunks: libxml2 refuses to take a very large buffer in one feed."""
    for chunk in chunks:
        for start in range(0, len(chunk), READ_CHUNK_BYTES):
            yield chunk[start : start + READ_CHUNK_BYTES]


def _is_empty_response(root: Any) -> bool:
    """An Envelope/Body/*Response with no returnval: the server found no objects."""
    if root is None or not str(root.tag).endswith("}Envelope"):
        return False
    for body in root:
        if str(body.tag).endswith("}Body"):
            return any(str(child.tag).endswith("Response") for child in body)
    return False


def decoded_chunks(
    read: Callable[[int], bytes], content_encoding: str | None, read_bytes: int = READ_CHUNK_BYTES
) -> Iterator[bytes]:
    """Read the body in chunks, undoing gzip/deflate transfer compression."""
    encoding = (content_encoding or "identity").lower()
    inflater = None
    if encoding == "gzip":
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    elif encoding == "deflate":
        inflater = zlib.decompressobj()
    while True:
        chunk = read(read_bytes)
        if not chunk:
            break
        if inflater is None:
            yield chunk
        else:
            data = inflater.decompress(chunk)
            if data:
                yield data
    if inflater is not None:
        tail = inflater.flush()
        if tail:
            yield tail


# --- transport: pyVmomi builds and sends the request, vmscan reads the response ----------------

MAX_FAULT_BYTES = 16 * 1024 * 1024


def soap_stub(managed_object: Any) -> Any:
    """The SoapStubAdapter behind a managed object (unwrapping a session-oriented stub)."""
    stub = managed_object._stub
    return getattr(stub, "soapStub", stub)


@contextlib.contextmanager
def _posted(
    managed_object: Any, method_name: str, args: list[Any], request: bytes | None = None,
    read_bytes: int = READ_CHUNK_BYTES,
) -> Iterator[Iterator[bytes]]:
    """Send one method call through pyVmomi's stub; yield the (decoded) response body in chunks.

    The request is serialized by pyVmomi and sent over the stub's pooled connection with its
    session cookie. A SOAP fault (HTTP 500) is deserialized by pyVmomi and raised, as the
    pyVmomi path would raise it. The connection goes back to the pool only when the whole
    response was read; a partly read one is closed.
    """
    import http.client

    stub = soap_stub(managed_object)
    info = managed_object._GetMethodInfo(method_name)
    # Same allow-list as every pyVmomi call (read-only by construction).
    check_stub_call(managed_object._stub, str(info.wsdlName))
    if request is None:
        request = stub.SerializeRequest(managed_object, info, args)
    headers = {
        "Cookie": stub.cookie,
        "SOAPAction": stub.versionId,
        "Content-Type": "text/xml; charset=UTF-8",
        "User-Agent": "vmscan (pyVmomi session, streaming parser)",
    }
    custom = getattr(stub, "_customHeaders", None)
    if custom:
        headers.update(custom)
    if getattr(stub, "_acceptCompressedResponses", False):
        headers["Accept-Encoding"] = "gzip, deflate"
    conn = stub.GetConnection()
    try:
        conn.request("POST", stub.path, request, headers)
        response = conn.getresponse()
    except (OSError, http.client.HTTPException):
        conn.close()
        stub.DropConnections()
        raise
    cookie = response.getheader("Set-Cookie")
    if cookie:
        stub.cookie = cookie
    complete = False
    try:
        if response.status == 500:
            body = response.read(MAX_FAULT_BYTES)
            complete = response.read(1) == b""
            fault = SoapAdapter.SoapResponseDeserializer(stub).Deserialize(body, info.result)
            if isinstance(fault, Exception):
                raise fault
            raise StreamParseError(f"{method_name}: HTTP 500 without a SOAP fault")
        if response.status != 200:
            raise http.client.HTTPException(f"{response.status} {response.reason}")
        yield decoded_chunks(response.read, response.getheader("Content-Encoding"), read_bytes)
        complete = response.read(1) == b""
    finally:
        if complete:
            stub.ReturnConnection(conn)
        else:
            conn.close()


def invoke_streaming(
    managed_object: Any,
    method_name: str,
    args: list[Any],
    catalog: TypeCatalog,
    result: StreamResult,
    offload: Offload | None = None,
) -> Iterator[Any]:
    """Call a PropertyCollector method through pyVmomi's stub and stream-parse its result.

    ``offload``: see parse_retrieve_result (OffloadedObjects then stand for some of the objects).
    """
    with _posted(managed_object, method_name, args) as chunks:
        if offload is None:
            yield from parse_retrieve_result(chunks, catalog, result)
        else:
            yield from parse_retrieve_result(chunks, catalog, result, offload)


def stream_pages(
    property_collector: Any,
    spec: Any,
    page_size: int,
    on_page: Callable[[int], None] | None = None,
    kept_items: dict[type, tuple[type, ...]] | None = None,
    offload: Offload | None = None,
    *,
    catalog: TypeCatalog | None = None,
    first_answer: list[bytes] | None = None,
) -> Iterator[Any]:
    """Like properties.retrieve_pages, but each page is stream-parsed as it arrives.

    Follows ContinueRetrievePropertiesEx tokens; if iteration stops early the remaining result
    set is released with CancelRetrievePropertiesEx. ``on_page`` receives object counts as they
    are parsed (several calls per page on large pages), so progress moves during long pages.
    ``kept_items``: see TypeCatalog (lists of those item types keep only those classes).
    ``offload``: see parse_retrieve_result; an OffloadedObjects counts as its objects.
    ``first_answer``: the body of the RetrievePropertiesEx already read (see stream_object_sets);
    only its continuation pages are requested here.
    """
    from pyVmomi import vmodl

    if catalog is None:
        catalog = TypeCatalog(soap_stub(property_collector), kept_items)
    options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=page_size)
    method, args = "RetrievePropertiesEx", [[spec], options]
    result = StreamResult()
    finished = False
    try:
        while True:
            result = StreamResult()
            pending = 0
            if first_answer is not None:
                # Fed in reading-size pieces: split_objects hands the worker runs of about OBJECT_RUN_BYTES.
                items = parse_retrieve_result(_bounded(first_answer), catalog, result, offload)
                first_answer = None
            else:
                items = invoke_streaming(property_collector, method, args, catalog, result, offload)
            for item in items:
                yield item
                pending += item.count if isinstance(item, OffloadedObjects) else 1
                if on_page is not None and pending >= PROGRESS_EVERY:
                    on_page(pending)
                    pending = 0
            if on_page is not None:
                on_page(pending)
            if not result.token:
                break
            method, args = "ContinueRetrievePropertiesEx", [result.token]
        finished = True
    finally:
        if not finished and result.token:
            with contextlib.suppress(Exception):
                property_collector.CancelRetrievePropertiesEx(token=result.token)


PROGRESS_EVERY = 1000


class _AnswerReader:
    """One RetrievePropertiesEx sent, and its whole (decoded) answer read, in a thread of its own.

    The thread mostly waits for the server (socket reads release the GIL); the answer is held in
    memory until taken (one part: at most ``maxObjects`` objects).
    """

    def __init__(self, property_collector: Any, request: bytes) -> None:
        self._args = (property_collector, request)
        self._answer: list[bytes] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, name="vmscan-answer-reader", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        property_collector, request = self._args
        try:
            # Held whole, unlike a streamed answer: bounded so that a few answers read ahead from a
            # hostile server cannot take the machine's memory.
            limit = READ_AHEAD_ANSWER_BYTES.value()
            method = "RetrievePropertiesEx"
            with _posted(property_collector, method, [], request, read_bytes=ANSWER_READ_BYTES) as chunks:
                answer: list[bytes] = []
                held = 0
                for chunk in chunks:
                    held += len(chunk)
                    if held > limit:
                        raise READ_AHEAD_ANSWER_BYTES.refuse("a vCenter answer read ahead of over", limit, limit)
                    answer.append(chunk)
                self._answer = answer
        except BaseException as exc:  # raised in the caller's thread by answer()
            self._error = exc

    def answer(self) -> list[bytes]:
        """The answer's body; raises what sending or reading it raised (e.g. the SOAP fault)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._answer is not None
        return self._answer


# The reader thread takes the answer in large reads: each read takes the GIL from the parse once.
ANSWER_READ_BYTES = 4 * 1024 * 1024
_PLACEHOLDER_ID = "vmscan-placeholder-object"


def object_set_requests(
    property_collector: Any, object_sets: list[list[Any]], vim_type: type, paths: list[str], page_size: int
) -> list[bytes]:
    """The RetrievePropertiesEx request of ``paths`` of exactly each set of objects, serialized.

    pyVmomi serializes one request with a placeholder object; each request is that text with the
    placeholder's ``objectSet`` element repeated for the set's objects (what pyVmomi writes for
    ~10,000 ObjectSpecs took ~0.2 s of CPU). Where the placeholder's element is not the
    expected text, pyVmomi serializes every request itself.
    """
    from pyVmomi import vmodl

    collector = vmodl.query.PropertyCollector
    stub = soap_stub(property_collector)
    info = property_collector._GetMethodInfo("RetrievePropertiesEx")
    options = collector.RetrieveOptions(maxObjects=page_size)

    def spec(objects: list[Any]) -> Any:
        prop_spec = collector.PropertySpec(type=vim_type, pathSet=list(paths), all=False)
        return collector.FilterSpec(
            propSet=[prop_spec], objectSet=[collector.ObjectSpec(obj=obj, skip=False) for obj in objects],
            reportMissingObjectsInResults=True,
        )

    def serialized(objects: list[Any]) -> bytes:
        return bytes(stub.SerializeRequest(property_collector, info, [[spec(objects)], options]))

    def object_spec(obj: Any) -> bytes:
        return (b'<objectSet><obj type="' + _xml_text(obj._wsdlName) + b'">' + _xml_text(obj._moId)
                + b"</obj><skip>false</skip></objectSet>")

    placeholder = vim_type(_PLACEHOLDER_ID, None)
    template = serialized([placeholder])
    expected = object_spec(placeholder)
    if template.count(expected) != 1 or template.count(_PLACEHOLDER_ID.encode()) != 1:
        return [serialized(objects) for objects in object_sets]
    head, tail = template.split(expected)
    return [head + b"".join(object_spec(obj) for obj in objects) + tail for objects in object_sets]


def _xml_text(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").encode()


class ObjectSetAnswers:
    """The answers of RetrievePropertiesEx requests (object_set_requests), read ``ahead`` at a time
    in threads from the moment this is made; ``items`` parses them in order.

    A server builds a whole answer before it sends the first byte of it (the simulator: ~2 s for
    10,000 VMs) and the parse of it needs a core or two for longer: one request for all objects
    leaves the client idle, then the server. Asked in parts, ahead, the server builds the next
    parts while vmscan parses one (and, made early, while vmscan does other things).
    """

    def __init__(self, property_collector: Any, requests: list[bytes], ahead: int = 2) -> None:
        self.property_collector = property_collector
        self._requests = collections.deque(requests)
        self._ahead = max(1, ahead)
        self._readers: collections.deque[_AnswerReader] = collections.deque()
        self._fill()

    def _fill(self) -> None:
        while self._requests and len(self._readers) < self._ahead:
            self._readers.append(_AnswerReader(self.property_collector, self._requests.popleft()))

    def items(
        self,
        page_size: int,
        on_page: Callable[[int], None] | None = None,
        kept_items: dict[type, tuple[type, ...]] | None = None,
        offload: Offload | None = None,
    ) -> Iterator[Any]:
        """The objects of every answer, in order (see stream_pages); continuation pages of an answer (a
        server that pages below ``page_size``) are asked for when it is parsed. Once only."""
        catalog = TypeCatalog(soap_stub(self.property_collector), kept_items)
        while self._readers:
            current = self._readers.popleft()
            self._fill()
            yield from stream_pages(self.property_collector, None, page_size, on_page, kept_items, offload,
                                    catalog=catalog, first_answer=current.answer())

    def close(self) -> None:
        """Ask for nothing more. An answer being read is read to its end by its thread and dropped (its
        connection goes back to the pool)."""
        self._requests.clear()
        self._readers.clear()


# --- PerformanceManager.QueryPerf ----------------------------------------------------------------

# One series of one entity: (counter id, instance, the samples present: ranked (perf.RankedSamples),
# ascending, or in arrival order in an ArrivalOrder list; -1 on the wire = no sample, left out).
PerfSeries = tuple[int, str, list[float] | RankedSamples]


@dataclasses.dataclass
class EntityMetrics:
    """One ``returnval`` of a QueryPerf response (PerfEntityMetric or PerfEntityMetricCSV)."""

    moref: str
    series: list[PerfSeries]


def _sorted_present(csv_texts: list[str]) -> list[float] | RankedSamples:
    """The samples present in comma-separated texts, ranked or ascending (see perf.samples_for_stats)."""
    if len(csv_texts) == 1:  # a PerfMetricSeriesCSV: one text
        present = samples_for_stats(csv_texts[0])
    else:
        present = samples_for_stats(",".join(csv_texts)) if all(csv_texts) else None
    return _carefully_read(csv_texts) if present is None else present


def _carefully_read(csv_texts: list[str]) -> ArrivalOrder:
    """The careful reader: one float() per item, empty items skipped, anything else raises."""
    return ArrivalOrder(v for text in csv_texts for v in parse_values_csv(text) if v is not None)


def _entity_metrics(elem: Any, catalog: TypeCatalog) -> EntityMetrics:
    """Read one PerfEntityMetric(CSV) element: its entity and each series' samples.

    ``sampleInfo``/``sampleInfoCSV`` (timestamps) are not read: vmscan counts and ranks samples.
    A PerfMetricIntSeries has one ``value`` element per sample; a PerfMetricSeriesCSV has one
    ``value`` holding them comma-separated. -1 means "no sample" in both.
    """
    local = catalog.local
    namespace = elem.tag[: elem.tag.index("}") + 1] if elem.tag.startswith("{") else ""
    entity = elem.find(namespace + "entity")
    if entity is None or not entity.text:
        raise StreamParseError("QueryPerf result without an entity")
    series: list[PerfSeries] = []
    # The series of a PerfEntityMetricCSV are CSV series whether or not they carry xsi:type.
    entity_csv = (elem.get(XSI_TYPE) or "").endswith("CSV")
    id_tag, counter_tag, instance_tag = namespace + "id", namespace + "counterId", namespace + "instance"
    # Only the series are visited: a VM's ~360 sampleInfo elements are skipped in C.
    for child in elem.iterchildren(namespace + "value"):
        counter_id: int | None = None
        instance = ""
        # As vCenter and govmomi write a CSV series: <id><counterId/><instance/></id><value/>,
        # read by position (the general walk below costs more than reading the samples' text).
        if len(child) == 2 and entity_csv:
            metric_id, sample = child
            if metric_id.tag == id_tag and sample.tag == child.tag and len(metric_id) == 2:
                counter, instance_elem = metric_id
                if counter.tag == counter_tag and instance_elem.tag == instance_tag:
                    text = sample.text or ""
                    present = samples_for_stats(text)
                    if present is None:
                        present = _carefully_read([text])
                    series.append((int(counter.text or ""), instance_elem.text or "", present))
                    continue
        metric_id = child.find(id_tag)
        for field in metric_id if metric_id is not None else ():
            tag = field.tag
            field_name = "counterId" if tag == counter_tag else "instance" if tag == instance_tag else local(tag)
            if field_name == "counterId":
                counter_id = int(field.text or "")
            elif field_name == "instance":
                instance = field.text or ""
        if counter_id is None:
            raise StreamParseError("QueryPerf series without a counterId")
        # The samples are this series' children with the series' own tag ("value").
        samples = list(child.iterchildren(child.tag))
        texts = [sample.text or "" for sample in samples]
        if entity_csv or (child.get(XSI_TYPE) or "").endswith("CSV"):
            values = _sorted_present(texts)
        else:
            # One number per element, or runs of them that _compacted joined by commas: read
            # all as one comma-separated text (unless a sample is empty or holds a comma itself).
            joined = ",".join(texts)
            runs = {index for index, sample in enumerate(samples) if sample.get(SAMPLE_RUN_ATTR) is not None}
            commas = len(texts) - 1 + sum(texts[index].count(",") for index in runs)
            present = samples_for_stats(joined) if all(texts) and joined.count(",") == commas else None
            if present is None:
                # "" or junk raises ValueError, as before.
                numbers = [
                    float(item)
                    for index, text in enumerate(texts)
                    for item in (text.split(",") if index in runs else (text,))
                ]
                present = ArrivalOrder(number for number in numbers if not number < 0)
            values = present
        series.append((counter_id, instance, values))
    return EntityMetrics(moref=entity.text, series=series)


# A sample's timestamp and interval exactly as vCenter and govmomi write them (no attributes,
# plain text): vmscan never reads them, and they are a third of the elements of a per-sample answer.
_SAMPLE_INFO = re.compile(rb"<sampleInfo><timestamp>[0-9TZ:.+-]+</timestamp><interval>[0-9]+</interval></sampleInfo>")
# Two or more consecutive one-number elements: the samples of a PerfMetricIntSeries. Nothing else
# in a QueryPerf answer is a bare integer in a plain <value> (series carry an <id>, CSV text commas).
# (Spelled with a literal start: the regex engine then jumps between "<value>"s instead of trying
# every byte, ~10x faster; possessive, as nothing it matched is ever given back: ~25% faster.)
_SAMPLE_RUN = re.compile(rb"<value>-?[0-9]++</value>(?:<value>-?[0-9]++</value>)++")
# Marks a <value> that holds a run of samples joined by commas (see _compacted).
SAMPLE_RUN_ATTR = "vmscan-samples"
_RUN_START = b'<value vmscan-samples="">'
_CUT_AFTER = (b"</sampleInfo>", b"</value>")


def _join_run(match: re.Match[bytes]) -> bytes:
    return _RUN_START + match.group()[7:-8].replace(b"</value><value>", b",") + b"</value>"


def _compacted(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The QueryPerf body with per-sample answers compacted before lxml builds them (~4x less CPU).

    Plain ``sampleInfo`` elements are cut out (never read), and each run of one-sample ``value``
    elements becomes one ``value`` holding the numbers comma-separated, marked with
    SAMPLE_RUN_ATTR: ~2,200 elements per VM become ~30. Once a sampleInfo is seen, each piece
    handed on ends right after a ``</sampleInfo>`` or ``</value>``, so no element is cut in two
    (a run cut there is two runs); text after the last one waits for the next chunk, or goes on
    unchanged once it is a chunk long. Neither pattern holds a ``<`` but its own tags, so they
    match whole elements only: where the body is cut changes how much is compacted, never what
    is read.
    """
    carry = b""
    # Until the answer shows a sampleInfo, nothing is searched for or replaced: a CSV answer
    # (vCenter's) has none, and its series boundaries ("</value><value>") are no runs. Such
    # text goes on up to its last ">"; the rest, where a "<sampleInfo>" cut in two would
    # start, waits for the next chunk.
    per_sample = False
    for chunk in chunks:
        data = carry + chunk if carry else chunk
        if not per_sample:
            if b"<sampleInfo>" not in data:
                end = data.rfind(b">") + 1
                if end == 0 and len(data) < READ_CHUNK_BYTES:
                    carry = data
                    continue
                end = end or len(data)
                yield data[:end]
                carry = data[end:]
                continue
            per_sample = True
        end = max(data.rfind(tag) + len(tag) if tag in data else 0 for tag in _CUT_AFTER)
        if end == 0:
            carry = data if len(data) < READ_CHUNK_BYTES else b""
            if not carry:
                yield data
            continue
        piece = data[:end]
        if b"<sampleInfo>" in piece:
            piece = _SAMPLE_INFO.sub(b"", piece)
        if b"</value><value>" in piece:
            piece = _SAMPLE_RUN.sub(_join_run, piece)
        yield piece
        carry = data[end:]
    if carry:
        yield carry


def parse_query_perf_result(chunks: Iterator[bytes], catalog: TypeCatalog) -> Iterator[EntityMetrics]:
    """Yield each entity's metrics of a QueryPerf response body as soon as it is complete."""
    parser = _pull_parser(("{*}returnval", "{*}QueryPerfResponse"))
    saw_response = False
    for chunk in _bounded(_compacted(chunks)):
        try:
            parser.feed(chunk)
            events = list(parser.read_events())
        except etree.XMLSyntaxError as exc:
            raise StreamParseError(f"malformed SOAP response: {exc}") from None
        for _event, elem in events:
            if catalog.local(elem.tag) == "QueryPerfResponse":
                saw_response = True
                continue
            parent = elem.getparent()
            if parent is None or catalog.local(parent.tag) != "QueryPerfResponse":
                continue
            try:
                yield _entity_metrics(elem, catalog)
            except ValueError as exc:  # a sample or counter id that is not a number
                raise StreamParseError(f"unreadable QueryPerf response: {exc}") from None
            elem.clear()
            parent.remove(elem)
    try:
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise StreamParseError(f"malformed SOAP response: {exc}") from None
    if not saw_response:
        raise StreamParseError("not a QueryPerf response")


@contextlib.contextmanager
def query_perf_answer(perf_manager: Any, request: bytes) -> Iterator[Iterator[bytes]]:
    """The (decoded) body of the serialized QueryPerf ``request``'s answer in chunks, unread.

    For callers that read it whole or elsewhere (perf.offloaded_answer_stats); a fault is raised
    as in query_perf_streaming.
    """
    with _posted(perf_manager, "QueryStats", [[]], request) as chunks:
        yield chunks


def query_perf_streaming(perf_manager: Any, specs: list[Any], request: bytes | None = None) -> Iterator[EntityMetrics]:
    """``PerformanceManager.QueryPerf(querySpec=specs)``, the response stream-parsed (see above).

    ``request``: the serialized request, when the caller built it (perf.query_perf_request).
    """
    catalog = TypeCatalog(soap_stub(perf_manager))
    with _posted(perf_manager, "QueryStats", [specs], request) as chunks:
        yield from parse_query_perf_result(chunks, catalog)
