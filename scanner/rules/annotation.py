"""Notes and custom attributes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.rules import refs
from scanner.rules.base import RuleContext, RuleResult, fail, rule, unknown

# "password: hunter2", "pwd=...", "root password is x", "api_key: ...", German/French words included.
SECRET_PATTERN = re.compile(
    r"(?P<key>\b(?:passwor[dt]|passwd|pwd|pw|pass|secret|api[_ -]?key|token|kennwort|passwort|"
    r"mot de passe|credentials?)\b)\s*(?:[:=]|\bis\b)\s*(?P<value>\S+)",
    re.IGNORECASE,
)
SECRET_KEY_NAMES = re.compile(r"passw|pwd|secret|token|api[_ -]?key|kennwort|credential", re.IGNORECASE)
MASK = "********"


def find_secrets(text: str) -> list[str]:
    """Masked descriptions of password-like strings; the secret itself never leaves this function."""
    return [f"{m.group('key')}={MASK}" for m in SECRET_PATTERN.finditer(text) if len(m.group("value")) >= 3]


def mask_secrets(text: str | None) -> str | None:
    """``text`` with each password-like value replaced by the mask, for display in reports.

    A value already masked (e.g. inside an anonymized note's "(contains pwd=********)") is kept.
    """
    if not text:
        return text

    def masked(match: re.Match[str]) -> str:
        value = match.group("value")
        if len(value) < 3 or value.startswith(MASK):
            return match.group(0)
        return match.group(0)[: match.start("value") - match.start()] + MASK

    return SECRET_PATTERN.sub(masked, text)


@rule(
    id="annotation.cleartext-secret",
    title="Password-like text in VM notes or custom attributes",
    severity="warning",
    remediation="Move the credential into a password vault, remove it from the VM notes/attribute, and rotate "
                "it: notes are readable by every vCenter user with read access and are copied by HCX.",
    rationale="VM annotations and custom attributes travel with the VM to the target and into exports such as "
              "RVTools; a password there is exposed to many readers.",
    references=("https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
                refs.HCX_OPTIONS),
    remediable=False,
)
def cleartext_secret(ctx: RuleContext) -> Iterator[RuleResult]:
    vm = ctx.vm
    if vm.annotation is None and vm.custom_attributes is None:
        yield unknown("notes and custom attributes not known", missing="annotation")
        return
    if vm.annotation:
        found = find_secrets(vm.annotation)
        if found:
            yield fail(f"notes contain {len(found)} password-like value(s)", field="annotation", matches=found)
    for key, value in (vm.custom_attributes or {}).items():
        found = find_secrets(value)
        if not found and SECRET_KEY_NAMES.search(key) and value.strip():
            found = [f"{key}={MASK}"]
        if found:
            yield fail(f"custom attribute {key!r} contains a password-like value", field=f"custom_attribute:{key}",
                       matches=found)
