"""find_secrets passes over texts that cannot hold a secret's key word without running the
case-insensitive regex: the same answer as the regex on every text."""

from __future__ import annotations

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.textsafety import FOLDING_TO_ASCII_LETTERS, MASK, SECRET_PATTERN, find_secrets, may_hold_secret_key


def regex_only(text: str) -> list[str]:
    """find_secrets without the pre-check."""
    return [f"{m.group('key')}={MASK}" for m in SECRET_PATTERN.finditer(text) if len(m.group("value")) >= 3]


def test_the_characters_folding_to_ascii_letters_are_all_of_them():
    letter = re.compile("[a-z]", re.IGNORECASE)
    found = {chr(code) for code in range(0x80, sys.maxunicode + 1) if letter.fullmatch(chr(code))}
    assert found == set(FOLDING_TO_ASCII_LETTERS)


KEY_SPELLINGS = ["password", "PASSWORT", "Passwd", "pwd", "pw", "pass", "secret", "api_key", "API KEY", "apikey",
                 "token", "Kennwort", "mot de passe", "credentials", "Credential",
                 # non-ASCII letters the regex's IGNORECASE reads as ASCII ones
                 "paſſword", "PAſS", "toKen", "Kennwort", "apı key", "credentİal", "ſecret"]


def test_every_key_spelling_is_found_with_and_without_the_pre_check():
    for key in KEY_SPELLINGS:
        for text in (f"{key}: hunter22", f"note {key}=abc123 end", f"x{key} is Zq9-9"):
            assert may_hold_secret_key(text), text
            assert find_secrets(text) == regex_only(text), text
        assert find_secrets(f"{key}: hunter22"), key


def test_texts_without_a_key_are_passed_over():
    for text in ("owner: team-a", "cost centre 4711", "very long note " * 2000, "\u202eexe.txt\u202c web\u200f-rtl",
                 "Grüße aus Köln", ""):
        assert not may_hold_secret_key(text), text
        assert find_secrets(text) == regex_only(text) == []


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*KEY_SPELLINGS, ": ", "=", " is ", " ", "abc123", "Zq9!", "x", "\u202e", "ß", "ς",
                                 "İ", "ı", "ſ", "\u212a", "\n", "_", "-"]), max_size=12).map("".join))
def test_find_secrets_is_the_regex_answer(text):
    assert find_secrets(text) == regex_only(text)
