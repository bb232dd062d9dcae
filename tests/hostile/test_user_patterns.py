"""Regular expressions the user writes cannot make vmscan backtrack for hours on a hostile name.

Python's re has no timeout: `(a+)+b` takes 2^n steps on n letters. Such patterns are refused when
read (one line, exit 2, naming the pattern); the text the allowed ones see is cut to 256 characters.
"""

from __future__ import annotations

import re

import pytest

from scanner.errors import InputError
from scanner.inventory.io import save_estate
from scanner.patterns import MATCHED_TEXT_CHARS, check_user_pattern
from scanner.synthetic import generate_estate
from tests.hostile.runner import REPO, run_capped

SAMPLE = str(REPO / "fixtures" / "sample-estate.json.gz")

EXPONENTIAL = [r"(a+)+b", r"(a|a)*b", r"(a|ab)*c", r"(\w+\s?)*$", r"(a?){20}a{20}", r"(.*,)*x", r"((ab)*)+",
               r"(?:x+y?)+", r"(a|b|ab)+", r"(?=(a+)+)b"]
POLYNOMIAL = [r"\w*\w*\w*x", r".*a.*a.*b", "a{0,16}" * 20, r"(\w+)(\w+)?(\w+)?-", r"\w*\w*\w*-",
              r"(.*)-(.*)-(.*)", r"(\w+)\w*\w*-", r"[a-z]+[a-z]+[a-z]+-",
              r"(\w+)_(\w+)_(\w+)_(\w+)"]  # \w matches the "_" separator
ALLOWED = [r"^(\w+)-", r"^([a-z]+)\d+$", r"(foo|bar)+", r"(-\d{2})*", r"(\d{3})+", r"^(\w+)-(\w+)$", r"(\w+)\w*-",
           r"windows\s+(server\s+)?(?=(2003|2008)\b)|windows\s+server", r"red hat\D{0,20}[23](?![\d/])", "",
           # Separated parts: each repetition can end before its separator (or the end) only, however many.
           r"^(\w+)-(\w+)-(\w+)$", r"^([a-z]+)-([a-z]+)-([0-9]+)$", r"^(\w+)-(\w+)-\d+", r"([^-]+)-([^-]+)-(.+)",
           r"(\w+)\.(\w+)\.(\w+)\.(\w+)"]


@pytest.mark.parametrize("pattern", EXPONENTIAL)
def test_nested_repetition_is_refused(pattern):
    with pytest.raises(InputError, match="repeated part holds another repetition"):
        check_user_pattern(pattern, "--group-by name:", re.IGNORECASE)


@pytest.mark.parametrize("pattern", POLYNOMIAL)
def test_more_than_two_open_ended_repetitions_in_a_row_are_refused(pattern):
    with pytest.raises(InputError, match="more than two open-ended repetitions"):
        check_user_pattern(pattern, "--group-by name:", re.IGNORECASE)


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?P<n>\w)(?P=n)", r"(?:(a)|b)\1"])
def test_backreferences_are_refused(pattern):
    with pytest.raises(InputError, match="a backreference"):
        check_user_pattern(pattern, "--group-by name:", re.IGNORECASE)


@pytest.mark.parametrize("pattern", ALLOWED)
def test_ordinary_patterns_pass(pattern):
    assert check_user_pattern(pattern, "--group-by name:", re.IGNORECASE).pattern == pattern


def test_every_built_in_guest_os_pattern_passes_the_same_check():
    from scanner.policy import default_policy

    guest_os = default_policy().data["guest_os"]
    patterns = [entry[key] for table in ("families", "distros") for entry in guest_os[table].values()
                for key in ("name_regex", "version_regex") if entry.get(key)]
    assert len(patterns) > 20
    for pattern in patterns:
        check_user_pattern(pattern, "built-in", re.IGNORECASE)


@pytest.mark.parametrize(("policy", "expected"), [
    ('[guest_os.families.windows_xp]\nname_regex = "(a+)+b"\n',
     "policy.toml: 'guest_os.families.windows_xp.name_regex' '(a+)+b': a repeated part holds another repetition"),
    # Before: the first VM the rule ran on found it: "internal error: RuleCrash: ... unterminated subpattern", exit 3.
    ('[guest_os.distros.ubuntu]\nname_regex = "(unclosed"\n',
     "policy.toml: 'guest_os.distros.ubuntu.name_regex' '(unclosed' is not a valid regular expression"),
    ('[guest_os.distros.ubuntu]\nversion_regex = "(\\\\d+)*x"\n',
     "policy.toml: 'guest_os.distros.ubuntu.version_regex' '(\\d+)*x': a repeated part"),
])
def test_a_policy_pattern_is_checked_when_the_policy_is_read(tmp_path, policy, expected):
    (tmp_path / "policy.toml").write_text(policy)
    outcome = run_capped(["analyze", "--as-of", "2026-11-25", SAMPLE, "--policy", "policy.toml", "-o", "a.json"],
                         cwd=tmp_path)
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith(f"vmscan: error: {expected}")
    assert len(outcome.stderr.splitlines()) == 1
    assert not (tmp_path / "a.json").exists()


def test_group_by_name_with_nested_repetition_is_one_line_before_any_work(tmp_path):
    outcome = run_capped(["plan", SAMPLE, "--out", "plan", "--group-by", r"name:(\w+)*-"], cwd=tmp_path)
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith(r"vmscan: error: --group-by name: '(\w+)*-': a repeated part holds")
    assert len(outcome.stderr.splitlines()) == 1
    assert not (tmp_path / "plan").exists()


def test_a_hostile_long_name_is_matched_by_its_start(tmp_path):
    # `(\w+)\w*-` is allowed (two open-ended repetitions); on a 4,096-letter name with no '-' it takes
    # ~40 s of CPU (measured 2026-12-07), on the first 256 letters ~10 ms.
    from scanner.waves.groups import grouping_rule

    estate = generate_estate(4, seed=1)
    vms = estate.all_vms()
    vms[0].name = "a" * 32_767
    vms[1].name = "web" + "x" * 300 + "-01"  # its '-' lies past the cut: no group from the name
    vms[2].name = "app-02"
    key = grouping_rule(r"name:(\w+)\w*-")
    assert key(vms[0]) is None
    assert key(vms[1]) is None
    assert key(vms[2]) == "app"
    assert MATCHED_TEXT_CHARS == 256
    save_estate(estate, str(tmp_path / "estate.json.gz"))
    outcome = run_capped(["plan", "estate.json.gz", "--out", "plan", "--group-by", r"name:(\w+)\w*-"],
                         cwd=tmp_path, deadline_s=120)
    assert outcome.exit_code == 0, outcome.stderr
