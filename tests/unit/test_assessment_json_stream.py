"""The streamed assessment JSON is byte for byte what json.dumps of the whole plain tree gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

import scanner.analysis.io as assessment_io
from scanner.analysis.engine import analyze
from scanner.analysis.io import assessment_json, load_assessment, save_assessment
from scanner.inventory.io import load_estate
from scanner.inventory.model import Estate
from scanner.rvtools.reader import read_rvtools
from scanner.serde import plain_converter, to_plain
from scanner.synthetic import generate_estate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
AS_OF = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def reference_json(assessment) -> str:
    """How the file was written before streaming: one plain tree, one json.dumps."""
    plain = to_plain(assessment)
    ordered = {"schema": plain.pop("schema"), "schema_version": plain.pop("schema_version"), **plain}
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))


def estates() -> dict[str, Estate]:
    sample = load_estate(FIXTURES / "sample-estate.json.gz")
    return {
        "synthetic": generate_estate(150, seed=5),
        "sample": sample,
        "kubev2v": read_rvtools(FIXTURES / "kubev2v-example1.xlsx"),
        "empty": dataclasses.replace(sample, vcenters=[]),
    }


@pytest.fixture(scope="module")
def assessments():
    return {name: analyze(estate, as_of=AS_OF, now=NOW) for name, estate in estates().items()}


@pytest.mark.parametrize("name", ["synthetic", "sample", "kubev2v", "empty"])
@pytest.mark.parametrize("slice_size", [1, 7, 2000])
def test_streamed_text_equals_one_dumps(name, slice_size, assessments, monkeypatch):
    monkeypatch.setattr(assessment_io, "_SLICE", slice_size)
    assessment = assessments[name]
    assert assessment_json(assessment) == reference_json(assessment)


def test_the_per_class_converters_give_what_to_plain_gives(assessments):
    """Fields typed as scalars skip to_plain's dispatch; every other field still goes through it."""
    for assessment in assessments.values():
        for item in [*assessment.vms, *assessment.findings]:
            assert plain_converter(type(item))(item) == to_plain(item)
    assert plain_converter(dict) is to_plain


def test_file_is_the_text_plus_newline_and_loads_back(assessments, tmp_path):
    assessment = assessments["kubev2v"]
    path = tmp_path / "assessment.json"
    save_assessment(assessment, path)
    assert path.read_text(encoding="utf-8") == reference_json(assessment) + "\n"
    assert to_plain(load_assessment(path)) == to_plain(assessment)


def test_nested_dataclass_lists_and_nested_dicts_convert_as_to_plain_does():
    from scanner.analysis.model import NativeSize, VmOutcome

    outcome = VmOutcome(vm_id="vm-1", name="web01", vcenter=None, datacenter=None, cluster=None, power_state=None,
                        methods={"avs": {"hcx_vmotion": "eligible"}}, readiness_details={"avs": ["a", "b"]},
                        recommended_method={"avs": None},
                        native_sizes=[NativeSize(provider="azure", size="D2s_v5", vcpu=2.0, memory_gib=8.0)])
    converted = plain_converter(VmOutcome)(outcome)
    assert converted == to_plain(outcome)
    assert json.dumps(converted) == json.dumps(to_plain(outcome))
    assert converted["native_sizes"][0]["size"] == "D2s_v5"


def test_objects_with_extra_or_reordered_attributes_convert_as_to_plain_does(assessments):
    outcome = dataclasses.replace(assessments["synthetic"].vms[0])
    convert = plain_converter(type(outcome))
    assert list(convert(outcome)) == [f.name for f in dataclasses.fields(outcome)]
    outcome.cached_note = "not a field"  # type: ignore[attr-defined]
    assert convert(outcome) == to_plain(outcome) and "cached_note" not in convert(outcome)
    reordered = dataclasses.replace(assessments["synthetic"].vms[0])
    name = reordered.name
    del reordered.name
    reordered.name = name  # now last in the instance dict
    assert json.dumps(convert(reordered)) == json.dumps(to_plain(reordered))
    # A slotted dataclass (Finding) has no instance dict: converted field by field.
    finding = assessments["synthetic"].findings[0]
    assert json.dumps(plain_converter(type(finding))(finding)) == json.dumps(to_plain(finding))
