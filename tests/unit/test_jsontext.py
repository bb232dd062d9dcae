"""JsonTexts gives, object for object, the text json's encoder gives of plain_converter's copy, with
its memos of repeated values (by text, by identity, by keys and values) never handing one value
another's text."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scanner.jsontext as jsontext
from scanner.analysis.model import Finding, NativeSize, VmOutcome
from scanner.jsontext import ENCODER, JsonTexts
from scanner.serde import plain_converter, to_plain


class Level(enum.IntEnum):
    ONE = 1


def expected(obj: Any) -> str:
    """What the assessment writer wrote before JsonTexts: the encoder over plain_converter's copy."""
    return ENCODER.encode(plain_converter(type(obj))(obj))


def outcome(vm_id: str = "vm-1", **fields: Any) -> VmOutcome:
    base: dict[str, Any] = {"name": "web01", "vcenter": "vc", "datacenter": None, "cluster": None,
                            "power_state": None}
    return VmOutcome(vm_id=vm_id, **{**base, **fields})


def finding(vm_id: str = "vm-1", **fields: Any) -> Finding:
    base: dict[str, Any] = {"rule_id": "vm.snapshots", "severity": "warning", "targets": ["avs"], "vm_id": vm_id,
                            "status": "fail", "message": "2 snapshot(s)"}
    return Finding(**{**base, **fields})


def test_one_document_repeats_values_under_new_objects_and_types():
    texts = JsonTexts()
    encode_vm, encode_finding = texts.encoder(VmOutcome), texts.encoder(Finding)
    reasons = ["vm.snapshots"]
    picks = [NativeSize("azure", "D2s_v5", vcpu=2.0, memory_gib=8.0), NativeSize("ec2", None, note="é")]
    vms = [
        outcome(readiness={"avs": "ready"}, readiness_reasons={"avs": reasons}, recommended_method={"avs": None}),
        # Equal dicts, new objects; the same pooled list; then an equal list that is another object.
        outcome("vm-2", readiness={"avs": "ready"}, readiness_reasons={"avs": reasons}),
        outcome("vm-3", readiness_reasons={"avs": ["vm.snapshots"]}, recommended_method={"avs": "hcx_bulk"}),
        # Values of other types than the hints say, equal to remembered ones (1 == True == 1.0).
        outcome("vm-4", readiness={"avs": 1}, recommended_method={"avs": True}),  # type: ignore[dict-item]
        outcome("vm-5", readiness={"avs": 1.0}, recommended_method={1: "x"}),  # type: ignore[dict-item]
        outcome("vm-6", readiness={"avs": True}, recommended_method={True: "x"}),  # type: ignore[dict-item]
        outcome("vm-6", readiness={"avs": ["ready"]}, target_verdicts={"avs": {"x": 1}}),  # type: ignore[dict-item]
        outcome("vm-7", name=7, vcenter=None, disposition=["retire"], verdict=None,  # type: ignore[arg-type]
                native_sizes=[NativeSize("azure", "D2s_v5", vcpu=float("nan"), memory_gib=float("inf"))]),
        outcome("vm-8", name=None, readiness=None, readiness_reasons=None, native_sizes=None),  # type: ignore[arg-type]
        # One list of native sizes held by two VMs (by its identity), then an equal list and another one.
        outcome("vm-9", native_sizes=picks), outcome("vm-10", native_sizes=picks),
        outcome("vm-11", native_sizes=list(picks)), outcome("vm-12", native_sizes=[NativeSize("ec2", "m5.large")]),
    ]
    findings = [
        finding(evidence={"count": 1}), finding(evidence={"count": True}), finding(evidence={"count": 1.0}),
        finding(evidence={1: "a", None: "b", False: "c"}),  # keys to_plain turns into text
        finding(evidence={"native": NativeSize("ec2", None)}, methods={"hcx_bulk": "blocks"}),
        finding(evidence={"nested": {"x": [1, 2.5, None, "\u2028\"\\"]}}, message="\ud83d\ude00 é \x00"),
    ]
    # Equal under == but written apart: 0.0 and -0.0, (1,) and (True,), 1 and an IntEnum 1, 1 and "1".
    findings += [finding(evidence={"v": value}) for value in (0.0, -0.0, 0, False, (1,), (True,), [1], 1,
                                                              Level.ONE, "1", None)]
    shared = {"count": 1}
    findings += [finding(evidence=shared), finding("vm-2", evidence=shared), finding("vm-3", evidence=shared.copy())]
    for _ in range(2):  # the second round from the memos
        for vm in vms:
            assert encode_vm(vm) == expected(vm)
        for item in findings:
            assert encode_finding(item) == expected(item)


def test_objects_of_another_class_go_through_to_plain():
    @dataclass
    class Special(VmOutcome):
        extra: str = "x"

    special = Special(vm_id="vm-1", name=None, vcenter=None, datacenter=None, cluster=None, power_state=None)
    assert JsonTexts().encoder(VmOutcome)(special) == ENCODER.encode(to_plain(special))
    assert JsonTexts().encoder(dict)({"a": [1]}) == '{"a":[1]}'


@dataclass
class Small:
    text: str
    numbers: dict[str, int] = field(default_factory=dict)
    anything: Any = None


@dataclass
class Empty:
    pass


def test_other_field_kinds_and_field_counts():
    texts = JsonTexts()
    for obj in (Small("a", {"n": 2**70}, {"k": (1, 2)}), Small("a", {"n": True}), Small("\x7f", anything=Small("b")),
                Empty()):
        assert texts.encoder(type(obj))(obj) == ENCODER.encode(to_plain(obj))


def test_memo_limit_reached_keeps_every_text_right(monkeypatch):
    monkeypatch.setattr(jsontext, "MEMO_LIMIT", 3)
    texts = JsonTexts()
    encode = texts.encoder(Finding)
    items = [finding(f"vm-{i}", message=f"m{i % 5}", evidence={"i": i % 4}, methods={"m": str(i % 6)})
             for i in range(40)]
    assert [encode(item) for item in items] == [expected(item) for item in items]


scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**64), 2**64), st.floats(allow_nan=True),
                    st.text(max_size=6))
texts_or_none = st.one_of(st.none(), st.sampled_from(["ready", "unknown", "", "é"]), st.text(max_size=4))
keys = st.sampled_from(["avs", "vmc", "é", "1"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.dictionaries(keys, texts_or_none | scalars, max_size=3),
                          st.dictionaries(keys, st.lists(st.sampled_from(["a", "b"]), max_size=2), max_size=2),
                          st.dictionaries(keys, scalars | st.lists(scalars, max_size=2), max_size=3)),
                min_size=1, max_size=12))
def test_generated_documents_match_the_encoder(rows):
    texts = JsonTexts()
    encode_vm, encode_finding = texts.encoder(VmOutcome), texts.encoder(Finding)
    pooled: dict[str, list[str]] = {}
    for i, (readiness, reasons, evidence) in enumerate(rows):
        # Lists pooled as the engine pools them (one object per equal list), some left apart.
        reasons = {k: pooled.setdefault(repr(v), v) if i % 3 else v for k, v in reasons.items()}
        vm = outcome(f"vm-{i % 4}", readiness=readiness, readiness_reasons=reasons, target_verdicts=readiness)
        assert encode_vm(vm) == expected(vm)
        item = finding(evidence=evidence, methods=readiness)
        assert encode_finding(item) == expected(item)
        assert json.loads(encode_finding(item).replace("NaN", "null").replace("Infinity", "1")) is not None


@pytest.mark.parametrize("cls", [VmOutcome, Finding, NativeSize])
def test_field_kinds_follow_the_hints(cls):
    _make, kinds = jsontext._class_plan(cls)
    assert "as_is" not in kinds or cls is NativeSize
    if cls is VmOutcome:
        assert kinds[0] == "text" and "by_texts" in kinds and "by_items" in kinds and kinds[-1] == "converted_list"


SPAN = {VmOutcome: ("readiness", "target_verdicts")}


def test_a_span_of_fields_held_together_is_remembered_by_the_values_identities(monkeypatch):
    texts = JsonTexts(spans=SPAN)
    encode = texts.encoder(VmOutcome)
    readiness, reasons, verdicts = {"avs": "ready"}, {"avs": ["vm.snapshots"]}, {"avs": "retire"}
    # Every field of the span one object shared by the VMs given ``held``.
    held = dict(readiness=readiness, readiness_reasons=reasons, readiness_details={"avs": ["vm.snapshots: 2"]},
                methods={"avs": {"hcx_bulk": "eligible"}}, recommended_method={"avs": "hcx_bulk"},
                disposition="retire", disposition_reasons=["vm.x: y"], verdict="retire",
                target_dispositions={"avs": "retire"}, target_disposition_reasons=reasons,
                target_verdicts=verdicts)
    vms = [
        outcome("vm-1", **held),
        outcome("vm-2", **held),  # the same objects: the span's text remembered
        # Equal values, other objects; one value another object; then the first objects again.
        outcome("vm-3", readiness={"avs": "ready"}, readiness_reasons={"avs": ["vm.snapshots"]},
                target_verdicts={"avs": "retire"}, verdict="retire"),
        outcome("vm-4", **{**held, "readiness": {"avs": "not_ready"}}),
        outcome("vm-5", **{**held, "verdict": "retain"}),
        outcome("vm-6", **{**held, "disposition_reasons": ["x"]}),
        outcome("vm-6", **{**held, "target_verdicts": {"avs": "retain"}}),
        outcome("vm-6", **{**held, "site_tasks": ["t"], "name": "other"}),  # outside the span
        outcome("vm-7", **held),
        outcome("vm-8", readiness=None, readiness_reasons=7, target_verdicts=["a"]),  # type: ignore[arg-type]
    ]
    for _ in range(2):
        assert [encode(vm) for vm in vms] == [expected(vm) for vm in vms]
    # The memo full: every text still right.
    monkeypatch.setattr(jsontext, "MEMO_LIMIT", 1)
    limited = JsonTexts(spans=SPAN).encoder(VmOutcome)
    assert [limited(vm) for vm in vms * 2] == [expected(vm) for vm in vms * 2]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.sampled_from(["rehost", "retire", None])),
                min_size=1, max_size=10))
def test_spans_over_shared_and_new_values_match_the_encoder(rows):
    pool_a = [{"avs": "ready"}, {"avs": "unknown", "vmc": "ready"}, {}, {"avs": None}]
    pool_b = [{"avs": ["r1"]}, {"avs": ["r1"], "vmc": []}, {}, {"x": ["é"]}]
    texts = JsonTexts(spans=SPAN)
    encode = texts.encoder(VmOutcome)
    for a, b, disposition in rows:
        vm = outcome(readiness=pool_a[a], readiness_reasons=pool_b[b], disposition=disposition or "rehost",
                     target_dispositions=pool_a[(a + b) % 4])
        assert encode(vm) == expected(vm)


def test_fields_declared_unique_are_encoded_alike_without_a_memo():
    texts = JsonTexts(unique={VmOutcome: ("vm_id", "name")})
    encode = texts.encoder(VmOutcome)
    vms = [outcome("vm-1"), outcome("vm-2", name="web01"), outcome("vm-1", name="\u202eexe.txt \"x\"\\"),
           outcome("vm-3", name=None), outcome("vm-4", name=7),  # type: ignore[arg-type]
           outcome(None, name=["a"])]  # type: ignore[arg-type]
    for _ in range(2):
        for vm in vms:
            assert encode(vm) == expected(vm)
    # Only the declared text fields are written without a memo.
    _, kinds = jsontext._class_plan(VmOutcome, None, frozenset({"vm_id", "name"}))
    assert kinds[:3] == ("unique_text", "unique_text", "text")
