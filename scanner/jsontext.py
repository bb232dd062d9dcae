"""Compact JSON text of dataclasses for one document, each repeated value's text encoded once.

The assessment JSON of 100,000 VMs repeats a few thousand distinct values hundreds of thousands of
times: readiness and method tables, reason lists and verdicts held once by the engine's pool
(scanner/analysis/shared.py), rule ids, remediation texts. Converting each object to a dict and
encoding it anew (json's C encoder over plain_converter's copy) was most of the writer's time; here
a dataclass's text is put together from its fields' texts, and a field value's text is looked up
when the same value was encoded before in this document:

- text fields (``str``, ``str | None``): by the text itself;
- lists (``list[str]``) and ``dict[str, Any]`` values: by the object's identity;
- dicts of texts (``dict[str, str]``, a VM's readiness per target): by their keys and values, in
  order (only dicts holding nothing but exact ``str`` keys and ``str``/None values are remembered);
- other dicts of JSON-ready values (``dict[str, list[str]]``...): by the identities of their keys
  and values, in order (a VM's own dict of pooled lists: equal keys and values give equal text);
- both kinds of dict first by the dict's own identity (the engine holds one dict for the VMs with
  the same per-target answers); that memo keeps the dict, so its id is not another's meanwhile;
- an empty list of dataclasses (most VMs' native sizes): "[]"; another list of them by its identity
  (the engine gives VMs with the same demand one list of native sizes);
- a span of adjacent fields the writer names (JsonTexts ``spans``: a VM outcome's per-target tables
  and verdicts, which the engine gives VMs with equal answers as the very same objects): their text
  as one, by the identities of their values (the entry keeps them).

Identities are only compared while the document is written: its objects stay alive and unchanged
meanwhile, so one identity stands for one text. The text is byte for byte what
``json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode(plain_converter(cls)(obj))``
gives (tested on whole assessments); any field kind not listed above is converted and encoded as
before, and an object of another class than its field says goes through to_plain.
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Callable, Iterable, Mapping
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from scanner.serde import _STR_ONLY, TEXT_OR_NONE, _str_keyed_dict, _without_none, field_steps, to_plain

# The writers' one JSON form: compact, non-ASCII as is.
ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# At most this many texts held per field of a class: values that never repeat (VM ids and names, a
# VM's own evidence) stop being held once it is full, so a document of any size holds a bounded memo.
MEMO_LIMIT = 1 << 14

_TEXT_HINTS = (str, str | None, typing.Optional[str])  # noqa: UP045 - both spellings of the hint


def _field_kind(hint: Any, step: Callable[[Any], Any] | None) -> str:
    """How a field's value is encoded and remembered (see the module docstring)."""
    origin = typing.get_origin(hint)
    if step is None:
        if hint in _TEXT_HINTS:
            return "text"
        if origin is list:
            return "by_identity"
        if origin is dict:
            return "by_texts" if typing.get_args(hint)[1] in _TEXT_HINTS else "by_items"
        return "as_is"
    if step is _str_keyed_dict:
        return "by_identity"
    if origin is list or typing.get_origin(_without_none(hint)) is list:
        return "converted_list"
    return "converted"


def _texts_only(value: dict[Any, Any]) -> bool:
    """Exact str keys and str or None values: a dict whose keys and values, compared by equality, tell its text."""
    return _STR_ONLY.issuperset(map(type, value)) and TEXT_OR_NONE.issuperset(map(type, value.values()))


@functools.cache
def _class_plan(cls: type, span: tuple[str, str] | None = None,
                unique: frozenset[str] = frozenset()) -> tuple[Callable[..., Callable[[Any], str]], tuple[str, ...]]:
    """A factory of ``cls``'s text function (given the document's memos and miss handlers), and the
    kind of each field; the function's source is made once per class (one f-string per object).

    ``span``: the first and last of adjacent fields whose values many objects hold together (the
    same objects): their text is remembered as one, by the identities of those values.
    ``unique``: text fields whose values do not repeat between objects (a VM's id and name): encoded
    without being looked up or remembered."""
    names, steps = field_steps(cls)
    hints = typing.get_type_hints(cls)
    kinds = tuple("unique_text" if name in unique and kind == "text" else kind
                  for name, kind in ((name, _field_kind(hints[name], steps.get(name))) for name in names))
    first, last = (names.index(span[0]), names.index(span[1])) if span is not None else (-1, -2)
    assert span is None or first <= last
    lines = ["def make(cls, fallback, memos, misses, same, steps, chunks, spans, limit):",
             f"    {''.join(f'm{i}, ' for i in range(len(names)))}= memos",
             f"    {''.join(f'x{i}, ' for i in range(len(names)))}= misses",
             f"    {''.join(f's{i}, ' for i in range(len(names)))}= same",
             f"    {''.join(f'c{i}, ' for i in range(len(names)))}= steps",
             "    join = ''.join",
             "    text_of = encode_basestring",
             "    def encode(o):",
             "        if type(o) is not cls:",
             "            return fallback(o)",
             *(f"        v{i} = o.{name}" for i, name in enumerate(names))]
    for i, kind in enumerate(kinds):
        block = _field_lines(i, kind, steps.get(names[i]) is not None)
        if i == first:
            # The span's values by identity; the entry keeps them, so no id in a key is reused.
            values = "".join(f"v{j}, " for j in range(first, last + 1))
            lines += [f"        k = ({''.join(f'id(v{j}), ' for j in range(first, last + 1))})",
                      "        g = spans.get(k)",
                      "        if g is None:"]
        lines += [("            " if first <= i <= last else "        ") + line for line in block]
        if i == last:
            lines += [f"            g = f'{_fstring(names, first, last, segment=True)}'",
                      "            if len(spans) < limit:",
                      f"                spans[k] = (({values}), g)",
                      "        else:",
                      "            g = g[1]"]
    lines.append(f"        return f'{_fstring(names, first, last)}'")
    lines.append("    return encode")
    namespace: dict[str, Any] = {"encode_basestring": encode_basestring}
    exec(compile("\n".join(lines), f"<json text of {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    return namespace["make"], kinds


def _field_lines(i: int, kind: str, stepped: bool) -> list[str]:
    """The statements that put field ``i``'s text in ``t{i}`` (from its value ``v{i}``)."""
    # A miss of a text or of a value by identity is encoded and remembered here, not by a call of its
    # miss handler (one Python call or three fewer per value that does not repeat).
    if kind == "unique_text":
        return [f"t{i} = text_of(v{i}) if type(v{i}) is str else 'null' if v{i} is None else x{i}(v{i})"]
    if kind == "text":
        return [f"t{i} = m{i}.get(v{i}) if type(v{i}) is str else 'null' if v{i} is None else None",
                f"if t{i} is None:",
                f"    if type(v{i}) is str:",
                f"        t{i} = text_of(v{i})",
                f"        if len(m{i}) < limit:",
                f"            m{i}[v{i}] = t{i}",
                "    else:",
                f"        t{i} = x{i}(v{i})"]
    if kind == "by_identity":
        return [f"t{i} = m{i}.get(id(v{i}))",
                f"if t{i} is None:",
                f"    t{i} = join(chunks({f'c{i}(v{i})' if stepped else f'v{i}'}, 0))",
                f"    if len(m{i}) < limit:",
                f"        m{i}[id(v{i})] = t{i}"]
    if kind in ("by_items", "by_texts"):
        # A dict many objects hold (the engine's pool, scanner/analysis/shared.py): its text by the
        # dict's identity first (the entry keeps the dict, so its id is not reused), then by its keys
        # and values.
        lines = [*_held_lookup(i, ""), f"if t{i} is None:"]
        if kind == "by_items":
            lines.append(f"    t{i} = m{i}.get((*map(id, v{i}), *map(id, v{i}.values()))) "
                         f"if type(v{i}) is dict else None")
        else:
            # A value of another type than the hint says may be unhashable (a list): then a miss.
            lines += [f"    if type(v{i}) is dict:",
                      "        try:",
                      f"            t{i} = m{i}.get((*v{i}, *v{i}.values()))",
                      "        except TypeError:",
                      "            pass"]
        return [*lines, f"    if t{i} is None:", f"        t{i} = x{i}(v{i})", *_held_store(i, "    ")]
    if kind == "converted_list":
        # A list of dataclasses many objects hold (the native sizes of VMs with the same demand):
        # its text by the list's identity (the entry keeps the list, so its id is not reused).
        return [f"t{i} = '[]' if type(v{i}) is list and not v{i} else None",
                f"if t{i} is None:",
                *_held_lookup(i, "    "),
                f"    if t{i} is None:",
                f"        t{i} = x{i}(v{i})",
                *_held_store(i, "        ")]
    return [f"t{i} = None", f"if t{i} is None:", f"    t{i} = x{i}(v{i})"]


def _held_lookup(i: int, indent: str) -> list[str]:
    """``t{i}``: the text held for the very object ``v{i}`` in ``s{i}`` (keyed by its id; the entry
    keeps the object, so that id is not another's meanwhile), else None."""
    return [f"{indent}e{i} = s{i}.get(id(v{i}))",
            f"{indent}t{i} = e{i}[1] if e{i} is not None and e{i}[0] is v{i} else None"]


def _held_store(i: int, indent: str) -> list[str]:
    """Hold ``t{i}`` for the object ``v{i}`` in ``s{i}`` (see _held_lookup), while there is room."""
    return [f"{indent}if len(s{i}) < limit:", f"{indent}    s{i}[id(v{i})] = (v{i}, t{i})"]


def _fstring(names: tuple[str, ...], first: int = -1, last: int = -2, segment: bool = False) -> str:
    """The f-string body of an object's text: ``{{"a":{t0},"b":{t1}}}``, the fields ``first`` to
    ``last`` as ``{g}``; or (``segment``) those fields' part: ``"b":{t1},"c":{t2}``."""
    parts = []
    for i, name in enumerate(names):
        assert name.isidentifier()  # no quote, brace or backslash to escape in the f-string
        if segment:
            if first <= i <= last:
                parts.append(("," if i > first else "") + f'"{name}":{{t{i}}}')
            continue
        if first < i <= last:
            continue
        field_text = "{g}" if i == first else f'"{name}":{{t{i}}}'
        parts.append(("{{" if i == 0 else ",") + field_text)
    if segment:
        return "".join(parts)
    return "".join(parts) + "}}" if parts else "{{}}"


class JsonTexts:
    """The JSON texts of one document's dataclasses and values; one instance per document written."""

    def __init__(self, spans: Mapping[type, tuple[str, str]] | None = None,
                 unique: Mapping[type, Iterable[str]] | None = None, memo_limit: int | None = None) -> None:
        """``spans``: per class, the first and last of adjacent fields whose values many of its objects
        hold together; ``unique``: per class, its text fields whose values do not repeat (see _class_plan);
        ``memo_limit``: texts held per field (default MEMO_LIMIT)."""
        self._encoders: dict[type, Callable[[Any], str]] = {}
        self._spans = dict(spans or {})
        self._unique = {cls: frozenset(names) for cls, names in (unique or {}).items()}
        self._memo_limit = MEMO_LIMIT if memo_limit is None else memo_limit
        if c_make_encoder is not None:
            # What JSONEncoder.encode builds per call (json/encoder.py), built once per document: the
            # pieces of a value's text.
            self.chunks: Callable[[Any, int], Iterable[str]] = c_make_encoder(
                {}, ENCODER.default, encode_basestring, None, ":", ",", False, False, True)
        else:  # pragma: no cover - CPython always has the C encoder
            self.chunks = lambda value, _level: (ENCODER.encode(value),)
        chunks = self.chunks
        self.encode: Callable[[Any], str] = lambda value: "".join(chunks(value, 0))

    def encoder(self, cls: type) -> Callable[[Any], str]:
        """The text of an object of ``cls`` (an object of another class: its to_plain's text)."""
        known = self._encoders.get(cls)
        if known is None:
            known = self._encoders[cls] = self._make(cls)
        return known

    def _make(self, cls: type) -> Callable[[Any], str]:
        import dataclasses

        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)) or not dataclasses.fields(cls):
            return lambda obj: self.encode(to_plain(obj))
        make, kinds = _class_plan(cls, self._spans.get(cls), self._unique.get(cls, frozenset()))
        names, steps = field_steps(cls)
        memos: list[dict[Any, str]] = [{} for _ in kinds]
        misses = [self._miss(kind, memo, steps.get(name)) for kind, memo, name in zip(kinds, memos, names, strict=True)]
        same: list[dict[int, tuple[Any, str]]] = [{} for _ in kinds]
        return make(cls, lambda obj: self.encode(to_plain(obj)), memos, misses, same,
                    [steps.get(name) for name in names], self.chunks, {}, self._memo_limit)

    def _miss(self, kind: str, memo: dict[Any, str], step: Callable[[Any], Any] | None) -> Callable[[Any], str]:
        encode = self.encode
        limit = self._memo_limit
        if kind in ("text", "unique_text"):
            def text(value: Any) -> str:
                if type(value) is not str:
                    return encode(value)
                encoded: str = encode_basestring(value)
                if len(memo) < limit:
                    memo[value] = encoded
                return encoded
            return text
        if kind == "by_identity":
            convert = step if step is not None else _same

            def by_identity(value: Any) -> str:
                encoded = encode(convert(value))
                if len(memo) < limit:
                    memo[id(value)] = encoded
                return encoded
            return by_identity
        if kind == "by_items":
            def by_items(value: Any) -> str:
                encoded = encode(value)
                if type(value) is dict and len(memo) < limit:
                    memo[(*map(id, value), *map(id, value.values()))] = encoded
                return encoded
            return by_items
        if kind == "by_texts":
            def by_texts(value: Any) -> str:
                encoded = encode(value)
                if type(value) is dict and len(memo) < limit and _texts_only(value):
                    memo[(*value, *value.values())] = encoded
                return encoded
            return by_texts
        if kind in ("converted", "converted_list"):
            assert step is not None
            return lambda value: encode(step(value))
        return encode


def _same(value: Any) -> Any:
    return value
