"""Dataclass <-> plain JSON conversion driven by type hints.

Shared by the inventory snapshot and the assessment so both stay typed end to end without a
third-party schema library. Unknown keys are rejected so that a file of another shape fails
loudly instead of loading half-empty.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, Union

T = TypeVar("T")


class SchemaMismatch(ValueError):
    """The data does not fit the dataclass; the message names the path of the bad value."""


_SCALARS = (str, int, float, bool, type(None))
# vSphere integers are xsd:long; anything wider is no inventory value (and overflows float math).
LONG_LIMIT = 2**63 - 1
# Field names per dataclass: dataclasses.fields() per object dominated large (100k-VM) dumps.
_field_names: dict[type, tuple[str, ...]] = {}


def to_plain(obj: Any) -> Any:
    """Convert dataclasses (recursively) to dicts/lists of JSON-compatible values."""
    if isinstance(obj, _SCALARS):
        return obj
    cls = type(obj)
    names = _field_names.get(cls)
    if names is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = _field_names[cls] = tuple(f.name for f in dataclasses.fields(obj))
    if names is not None:
        return {name: to_plain(getattr(obj, name)) for name in names}
    if isinstance(obj, list | tuple):
        return [to_plain(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): to_plain(value) for key, value in obj.items()}
    return obj


def _json_ready_hint(hint: Any) -> bool:
    """Scalars, and lists and str-keyed dicts of them at any depth (``dict[str, list[str]]``): the
    JSON encoder writes such a value exactly as it writes to_plain's copy of it, so no copy is made."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return all(_json_ready_hint(arg) for arg in args)
    if origin is list:
        return len(args) == 1 and _json_ready_hint(args[0])
    if origin is dict:
        return len(args) == 2 and args[0] is str and _json_ready_hint(args[1])
    return hint in _SCALARS


def _without_none(hint: Any) -> Any:
    """``X`` of an ``X | None`` hint; the hint itself when it is no union; None for a wider union."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        rest = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return rest[0] if len(rest) == 1 else None
    return hint


def _is_dataclass_type(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _dataclass_items(hint: Any) -> type | None:
    """The dataclass of a ``list[X]`` or ``list[X] | None`` hint, else None."""
    hint = _without_none(hint)
    args = typing.get_args(hint)
    if typing.get_origin(hint) is list and len(args) == 1 and _is_dataclass_type(args[0]):
        return args[0]
    return None


_EXACT_SCALARS = frozenset(_SCALARS)
_STR_ONLY = frozenset({str})
# The types of a text that may be missing (str | None values: pooled evidence, dicts of texts).
TEXT_OR_NONE = frozenset({str, type(None)})


def _str_keyed_dict(value: Any) -> Any:
    """to_plain of a ``dict[str, Any]`` (a finding's evidence): the dict itself when it holds only
    str keys and scalar values, which the encoder writes exactly as it writes to_plain's copy."""
    # The types checked in C (issuperset of a map), not by a generator per key and value.
    if type(value) is dict and _STR_ONLY.issuperset(map(type, value)) \
            and _EXACT_SCALARS.issuperset(map(type, value.values())):
        return value
    return to_plain(value)


def _list_converter(item: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda items: [item(x) for x in items] if type(items) is list else to_plain(items)


def _dataclass_values(hint: Any) -> type | None:
    """The dataclass of a ``dict[str, X]`` or ``dict[str, X] | None`` hint (a VM's perf), else None."""
    hint = _without_none(hint)
    args = typing.get_args(hint)
    if typing.get_origin(hint) is dict and len(args) == 2 and args[0] is str and _is_dataclass_type(args[1]):
        return args[1]
    return None


def _str_keyed_dict_converter(item: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if type(value) is dict and _STR_ONLY.issuperset(map(type, value)):
            return {key: item(x) for key, x in value.items()}
        return to_plain(value)  # None, or keys to_plain turns into text

    return convert


@functools.cache
def field_steps(cls: type) -> tuple[tuple[str, ...], dict[str, Callable[[Any], Any]]]:
    """A dataclass's field names in order, and the conversion of each field that is not JSON-ready
    as its type hint says (see plain_converter); fields left out are taken as they are."""
    hints = typing.get_type_hints(cls)
    steps: dict[str, Callable[[Any], Any]] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if _json_ready_hint(hint):
            continue  # taken as it is
        items = _dataclass_items(hint)
        values = _dataclass_values(hint)
        args = typing.get_args(hint)
        if items is not None:
            steps[f.name] = _list_converter(plain_converter(items))
        elif values is not None:
            steps[f.name] = _str_keyed_dict_converter(plain_converter(values))
        elif typing.get_origin(hint) is dict and args and args[0] is str:
            steps[f.name] = _str_keyed_dict
        else:
            steps[f.name] = to_plain
    return tuple(f.name for f in dataclasses.fields(cls)), steps


@functools.cache
def plain_converter(cls: type) -> Callable[[Any], Any]:
    """to_plain for one dataclass, without its per-value dispatch where the type hints make it moot.

    For the JSON writers of the snapshot and the assessment (hundreds of thousands of objects):
    fields typed as scalars or as lists and str-keyed dicts of scalars are taken as they are (the
    encoder's output is the same; the copies were most of the writers' time); lists of dataclasses
    go through this converter of their class, and so do the values of str-keyed dicts of
    dataclasses (a VM's performance statistics); anything else (``Any``) through to_plain. Built from
    the dataclass's own type hints, so it follows the model; the output is to_plain's (tested on
    both models). An object of another class (a subclass) goes through to_plain.
    """
    if not dataclasses.is_dataclass(cls):
        return to_plain
    names, steps = field_steps(cls)
    converted = list(steps.items())
    # Every field read in one C call (a dataclass with slots has no instance dict to copy).
    read_fields = operator.attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)

    # A slotted dataclass has no instance dict; asking for one would raise (and catch) per object.
    slotted = "__slots__" in vars(cls)

    def convert(obj: Any) -> Any:
        if type(obj) is not cls:
            return to_plain(obj)
        # The instance's own dict, copied, when it holds exactly the fields in field order (as
        # __init__ leaves it): one C-level copy instead of a getattr per field.
        own = None if slotted else getattr(obj, "__dict__", None)
        if own is None or len(own) != len(names) or tuple(own) != names:
            plain = dict(zip(names, read_fields(obj), strict=True))
        else:
            plain = own.copy()
        for name, step in converted:
            plain[name] = step(plain[name])
        return plain

    return convert


def path_key(key: object) -> str:
    """A key as shown in an error path: quoted when it would break the one-line message."""
    text = str(key)
    return text if text.isprintable() else repr(text)


_hints_cache: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _hints_cache.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _hints_cache[cls] = hints
    return hints


def from_plain(cls: type[T], data: Any, path: str = "$") -> T:
    """Build ``cls`` from plain data, checking types along the way.

    The reader compiled for ``cls`` (plain_reader) builds it; when that refuses the data, the
    interpreting converter runs instead: it accepts exactly the same data and names the path of the
    bad value, which the compiled reader does not track (building a path per value was most of the
    cost of loading a 10,000-VM snapshot).
    """
    try:
        return typing.cast(T, plain_reader(typing.cast(Any, cls))(data))
    except _Refused:
        return typing.cast(T, _convert(cls, data, path))


class _Refused(Exception):
    """A compiled reader's "not this data" (no message: the interpreting converter names it)."""


Reader = Callable[[Any], Any]


def _refuse() -> typing.NoReturn:
    raise _Refused


def _read_any(value: Any) -> Any:
    return value


def _read_str(value: Any) -> Any:
    if type(value) is str and value.isascii():
        return value
    if not isinstance(value, str) or not _encodable(value):
        _refuse()
    return value


def _read_int(value: Any) -> Any:
    if type(value) is int and -LONG_LIMIT <= value <= LONG_LIMIT:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not -LONG_LIMIT <= value <= LONG_LIMIT:
        _refuse()
    return value


def _read_float(value: Any) -> Any:
    if type(value) is float and math.isfinite(value):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not _number_in_range(value):
        _refuse()
    return float(value)


def _read_bool(value: Any) -> Any:
    if type(value) is bool:
        return value
    _refuse()


def _read_optional_str(value: Any) -> Any:
    if value is None or (type(value) is str and value.isascii()):
        return value
    return _read_str(value)


def _read_optional_int(value: Any) -> Any:
    if value is None or (type(value) is int and -LONG_LIMIT <= value <= LONG_LIMIT):
        return value
    return _read_int(value)


def _read_optional_float(value: Any) -> Any:
    if value is None or (type(value) is float and math.isfinite(value)):
        return value
    return _read_float(value)


def _read_optional_bool(value: Any) -> Any:
    if value is None or type(value) is bool:
        return value
    _refuse()


# ``X | None`` of a scalar in one call: most inventory fields are optional texts and numbers.
_OPTIONAL_SCALAR_READERS: dict[Reader, Reader] = {
    _read_str: _read_optional_str, _read_int: _read_optional_int,
    _read_float: _read_optional_float, _read_bool: _read_optional_bool,
}

_SCALAR_READERS: dict[Any, Reader] = {
    Any: _read_any, str: _read_str, int: _read_int, float: _read_float, bool: _read_bool,
}


@functools.cache
def plain_reader(tp: Any) -> Reader:
    """A reader of plain data as ``tp``, compiled once from the type hint: it returns what
    ``_convert`` returns for the data ``_convert`` accepts, and raises _Refused for any other."""
    scalar = _SCALAR_READERS.get(tp)
    if scalar is not None:
        return scalar
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _union_reader(typing.get_args(tp))
    if origin is list:
        (item_type,) = typing.get_args(tp)
        return _list_reader(plain_reader(item_type))
    if origin is dict:
        _, value_type = typing.get_args(tp)
        return _dict_reader(plain_reader(value_type))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_reader(tp)
    return lambda value: _refuse()  # an unsupported hint: the interpreting converter names it


def _union_reader(args: tuple[Any, ...]) -> Reader:
    optional = type(None) in args
    readers = [plain_reader(arg) for arg in args if arg is not type(None)]
    if len(readers) == 1 and optional and readers[0] in _OPTIONAL_SCALAR_READERS:
        return _OPTIONAL_SCALAR_READERS[readers[0]]
    if len(readers) == 1:
        (only,) = readers

        def read_one(value: Any) -> Any:
            if value is None:
                if optional:
                    return None
                _refuse()
            return only(value)

        return read_one

    def read_first(value: Any) -> Any:
        if value is None:
            if optional:
                return None
            _refuse()
        for reader in readers:
            try:
                return reader(value)
            except _Refused:
                continue
        _refuse()

    return read_first


def _list_reader(item: Reader) -> Reader:
    def read(value: Any) -> Any:
        if not isinstance(value, list):
            _refuse()
        return [item(x) for x in value]

    return read


def _dict_reader(item: Reader) -> Reader:
    def read(value: Any) -> Any:
        if not isinstance(value, dict):
            _refuse()
        return {_read_str(str(key)): item(x) for key, x in value.items()}

    return read


def _dataclass_reader(cls: type) -> Reader:
    # Field readers are looked up on first use: a dataclass may (indirectly) hold its own type.
    readers: dict[str, Reader] = {}

    def field_readers() -> dict[str, Reader]:
        if not readers:
            hints = _hints(cls)
            readers.update({f.name: plain_reader(hints[f.name]) for f in dataclasses.fields(cls) if f.init})
        return readers

    def read(value: Any) -> Any:
        if not isinstance(value, dict):
            _refuse()
        by_name = readers or field_readers()
        if not by_name.keys() >= value.keys():
            _refuse()  # an unknown field
        kwargs = {name: by_name[name](x) for name, x in value.items()}
        try:
            return cls(**kwargs)
        except TypeError:
            _refuse()

    return read


def _encodable(text: str) -> bool:
    """JSON can spell a lone surrogate (\\ud800); such text cannot be written as UTF-8."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _number_in_range(value: int | float) -> bool:
    """An integer within 64 bits, or a finite float: what the snapshot's numbers may be."""
    return -LONG_LIMIT <= value <= LONG_LIMIT if isinstance(value, int) else math.isfinite(value)


def _valid_unicode(text: str, path: str) -> str:
    if not _encodable(text):
        raise SchemaMismatch(f"{path}: text contains a lone surrogate (not valid Unicode)")
    return text


def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = typing.get_args(tp)
        if value is None:
            if type(None) in args:
                return None
            raise SchemaMismatch(f"{path}: null is not allowed")
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            return _convert(non_none[0], value, path)
        for candidate in non_none:
            try:
                return _convert(candidate, value, path)
            except SchemaMismatch:
                continue
        raise SchemaMismatch(f"{path}: unexpected value {value!r:.60}")
    if origin is list:
        if not isinstance(value, list):
            raise SchemaMismatch(f"{path}: expected a list")
        (item_type,) = typing.get_args(tp)
        return [_convert(item_type, item, f"{path}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise SchemaMismatch(f"{path}: expected an object")
        _, value_type = typing.get_args(tp)
        return {
            _valid_unicode(str(k), path): _convert(value_type, v, f"{path}.{path_key(k)}") for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise SchemaMismatch(f"{path}: expected an object")
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp) if f.init}
        unknown = set(value) - known
        if unknown:
            raise SchemaMismatch(f"{path}: unknown field {sorted(unknown)[0]!r}")
        kwargs = {name: _convert(hints[name], value[name], f"{path}.{name}") for name in known if name in value}
        try:
            return tp(**kwargs)
        except TypeError as exc:
            raise SchemaMismatch(f"{path}: {exc}") from None
    if tp is Any:
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaMismatch(f"{path}: expected a number")
        if not _number_in_range(value):
            raise SchemaMismatch(f"{path}: number out of range")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaMismatch(f"{path}: expected an integer")
        if not -LONG_LIMIT <= value <= LONG_LIMIT:
            raise SchemaMismatch(f"{path}: integer out of range (vSphere values are 64-bit)")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise SchemaMismatch(f"{path}: expected true or false")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise SchemaMismatch(f"{path}: expected a string")
        return _valid_unicode(value, path)
    raise SchemaMismatch(f"{path}: unsupported type {tp!r}")
