import pytest

from scanner.textsafety import EXCEL_MAX_CELL_CHARS, safe_text, safe_value


@pytest.mark.parametrize("text", ['=HYPERLINK("http://example.invalid","x")', "@SUM(1)", "+1", "-2+3", "\tx", "\rx"])
def test_formula_triggers_get_a_quote_prefix(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["web01", "a=b", "", "'already quoted", "<script>alert(1)</script>"])
def test_ordinary_text_is_unchanged(text):
    assert safe_text(text) == text


def test_illegal_xml_characters_are_stripped_but_tab_and_newlines_kept():
    assert safe_text("a\x00b\x07c\x1bd\tx\ny\rz") == "abcd\tx\ny\rz"


def test_stripping_cannot_uncover_a_formula():
    assert safe_text("\x00=1+1") == "'=1+1"


def test_length_is_capped_at_excel_limit():
    capped = safe_text("x" * 40_000)
    assert len(capped) == EXCEL_MAX_CELL_CHARS
    assert capped.endswith("…")


def test_non_strings_pass_through():
    assert safe_value(-5) == -5
    assert safe_value(None) is None
    assert safe_value(1.5) == 1.5
