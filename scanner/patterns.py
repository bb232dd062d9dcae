"""Regular expressions the user writes (policy guest OS patterns, `plan --group-by name:REGEX`).

Python's re backtracks and has no timeout: a pattern such as ``(a+)+b`` takes 2^n steps on a name of
n letters (17 s for 28 letters here), and the names come from an inventory nobody has to trust.
Patterns whose repetition is ambiguous in that way are refused when they are read, in one line
naming the pattern (docs/hardening.md, "User-written patterns"). What stays possible with the
patterns allowed is polynomial backtracking (``\\w*\\w*x``): a pattern may try at most ``MAX_WAYS`` ways
from one start (two open-ended repetitions in a row), and the callers cut the text to
``MATCHED_TEXT_CHARS``, so one search is at most ~L^3 steps (milliseconds).
"""

from __future__ import annotations

import re

# re's own parser (the one re.compile uses), so the check sees exactly what will run.
from re import _compiler as sre_compile  # type: ignore[attr-defined]
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from scanner.errors import InputError

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)

NESTING_ADVICE = ("a repeated part holds another repetition or overlapping alternatives, which can take "
                  "exponential time on a long name; write it without the nesting (e.g. 'a+' for '(a+)+', "
                  "'[ab]*' for '(a|b)*')")


def _first_literal(items: list[Any]) -> int | None:
    if items and items[0][0] is sre.LITERAL:
        return int(items[0][1])
    return None


def _distinct_starts(alternatives: list[list[Any]]) -> bool:
    """Every alternative starts with its own literal character: only one can go on at any point."""
    starts = [_first_literal(alternative) for alternative in alternatives]
    if any(start is None for start in starts):
        return False
    folded = [chr(start).casefold() for start in starts if start is not None]
    return len(set(folded)) == len(folded)


def _ambiguous(items: list[Any], repeated: bool) -> bool:
    """Whether a variable repetition or an overlapping alternation sits inside a repetition."""
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            if repeated and high > low:
                return True
            if _ambiguous(body, repeated or high > 1):
                return True
        elif op is sre.BRANCH:
            alternatives = av[1]
            if repeated and not _distinct_starts(alternatives):
                return True
            if any(_ambiguous(alternative, repeated) for alternative in alternatives):
                return True
        elif op is sre.SUBPATTERN:
            if _ambiguous(av[-1], repeated):
                return True
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if _ambiguous(av[1], repeated):
                return True
        elif op is sre.ATOMIC_GROUP:
            if _ambiguous(av, repeated):
                return True
        elif op is sre.GROUPREF_EXISTS:
            if _ambiguous(av[1], repeated) or (av[2] is not None and _ambiguous(av[2], repeated)):
                return True
    return False


# The longest text a caller gives a user pattern (it cuts longer ones): vSphere names are at most 80.
MATCHED_TEXT_CHARS = 256
# The most ways one start position may be tried: two open-ended repetitions in a row (256 x 256),
# times a few optional parts. A search tries every start, so a failing one costs at most ~L times this.
MAX_WAYS = 4 * MATCHED_TEXT_CHARS**2


# What follows a part of the pattern: an item, or the end of the whole pattern, or not known (inside
# a repeated body, where the body's own start follows it again).
_PATTERN_END: Any = ("end",)
_NOT_KNOWN: Any = ("not known",)
# One-character matchers: a repetition of one of these can be told apart from what follows it.
_ONE_CHARACTER = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY)
_END_ANCHORS = (sre.AT_END, sre.AT_END_STRING)


def _stops_before(body: Any, after: Any, state: Any, flags: int) -> bool:
    """Whether a repetition of ``body`` can end in one place only, given what follows it.

    True when the body is one character matcher and what follows is the end of the pattern, an end
    anchor, or a literal character the body cannot match (``[a-z]+-``, ``\\w+-``, ``\\d+$``): the
    repetition is then tried at each length once, each failing at once, instead of multiplying the
    ways of the parts after it.
    """
    if len(body) != 1 or body[0][0] not in _ONE_CHARACTER:
        return False
    if after is _PATTERN_END:
        return True
    if after is _NOT_KNOWN:
        return False
    op, av = after
    if op is sre.AT:
        return av in _END_ANCHORS
    if op is not sre.LITERAL:
        return False
    one_character = sre_compile.compile(sre_parse.SubPattern(state, list(body)), flags)
    return one_character.fullmatch(chr(av)) is None


def _ways(items: list[Any], state: Any, flags: int, before: int = 1, follower: Any = _PATTERN_END) -> int:
    """How many ways to split the text the pattern can try from one start (alternatives: the largest).

    A repetition whose count can vary by n multiplies by n + 1, an open-ended one by the text's length,
    unless only one way reaches it (``before``) and it can end in one place only (_stops_before):
    then it costs one scan of the text and multiplies nothing.
    """
    ways = 1
    for index, (op, av) in enumerate(items):
        after = items[index + 1] if index + 1 < len(items) else follower
        reaching = before * ways
        if op in _REPEATS:
            low, high, body = av
            if high > low and reaching == 1 and _stops_before(body, after, state, flags):
                continue
            spread = min(high - low, MATCHED_TEXT_CHARS)
            ways *= (spread + 1) * _ways(body, state, flags, reaching, _NOT_KNOWN)
        elif op is sre.BRANCH:
            ways *= max((_ways(alternative, state, flags, reaching, after) for alternative in av[1]), default=1)
        elif op is sre.SUBPATTERN:
            ways *= _ways(av[-1], state, flags, reaching, after)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            ways *= _ways(av[1], state, flags, reaching, _NOT_KNOWN)
        elif op is sre.ATOMIC_GROUP:
            ways *= _ways(av, state, flags, reaching, after)
        elif op is sre.GROUPREF_EXISTS:
            ways *= max(_ways(av[1], state, flags, reaching, after),
                        _ways(av[2], state, flags, reaching, after) if av[2] is not None else 1)
        if ways > MAX_WAYS:
            break  # enough to refuse; the product of a long pattern need not be built
    return ways


def _uses_backreference(items: Any) -> bool:
    for op, av in items:
        if op is sre.GROUPREF:
            return True
        children: list[Any] = []
        if op in _REPEATS:
            children = [av[2]]
        elif op is sre.BRANCH:
            children = list(av[1])
        elif op is sre.SUBPATTERN:
            children = [av[-1]]
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            children = [av[1]]
        elif op is sre.ATOMIC_GROUP:
            children = [av]
        elif op is sre.GROUPREF_EXISTS:
            children = [child for child in av[1:] if child is not None]
        if any(_uses_backreference(child) for child in children):
            return True
    return False


def check_user_pattern(pattern: str, what: str, flags: int = 0) -> re.Pattern[str]:
    """The compiled pattern, or an InputError naming ``what`` and the pattern (invalid, or exponential)."""
    try:
        compiled = re.compile(pattern, flags)
    except (re.error, OverflowError, RecursionError) as exc:
        raise InputError(f"{what} '{pattern}' is not a valid regular expression ({exc})") from None
    try:
        parsed = sre_parse.parse(pattern, flags)
    except (re.error, OverflowError, RecursionError) as exc:  # compiled above, so not expected
        raise InputError(f"{what} '{pattern}' is not a valid regular expression ({exc})") from None
    if _ambiguous(list(parsed), False):
        raise InputError(f"{what} '{pattern}': {NESTING_ADVICE}")
    if _uses_backreference(list(parsed)):
        # Matching with backreferences is not regular: the ways counted below do not bound it.
        raise InputError(f"{what} '{pattern}': a backreference (\\1, (?P=name)) can take hours on a long name; "
                         "match without referring back to a group")
    if _ways(list(parsed), parsed.state, flags) > MAX_WAYS:
        raise InputError(f"{what} '{pattern}': more than two open-ended repetitions ('*', '+', '{{2,}}') one after "
                         "another, or as much in optional parts, which can take hours on a long name; use at most "
                         "two (e.g. '[^-]+' instead of '.*' before a separator)")
    return compiled
