"""Notes and custom attributes."""

from __future__ import annotations

from scanner.rules import refs
from scanner.rules.base import Results, RuleContext, RuleResult, fail, gap, rule
from scanner.textsafety import MASK, SECRET_KEY_NAMES, find_secrets

# Distinct texts remembered per analysis: bounds the memo's memory on an estate of unique notes.
MEMO_LIMIT = 100_000


def secrets_in(memo: dict[str, tuple[str, ...]], text: str) -> tuple[str, ...]:
    """find_secrets(text), looked for once per distinct text of the analysis (``memo``: the analysis'
    "annotation.secrets"; notes and attribute values repeat across VMs: owners, cost centres,
    boilerplate); the memo stops growing at MEMO_LIMIT texts."""
    found = memo.get(text)
    if found is None:
        found = tuple(find_secrets(text))
        if len(memo) < MEMO_LIMIT:
            memo[text] = found
    return found


def secret_key_name(memo: dict[str, bool], key: str) -> bool:
    """Whether an attribute's name says it holds a secret (``memo``: the analysis' "annotation.secret_keys")."""
    named = memo.get(key)
    if named is None:
        named = SECRET_KEY_NAMES.search(key) is not None
        if len(memo) < MEMO_LIMIT:
            memo[key] = named
    return named


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
def cleartext_secret(ctx: RuleContext) -> Results:
    vm = ctx.vm
    annotation, attributes = vm.annotation, vm.custom_attributes
    if annotation is None and attributes is None:
        return gap("notes and custom attributes not known", "annotation")
    # The analysis' memos, taken once per VM: most texts were seen before, on another VM, and hold nothing.
    secrets: dict[str, tuple[str, ...]] = (ctx.shared.get("annotation.secrets")
                                           or ctx.derived("annotation.secrets", dict))
    key_names: dict[str, bool] = (ctx.shared.get("annotation.secret_keys")
                                  or ctx.derived("annotation.secret_keys", dict))
    results: list[RuleResult] = []
    # The memos read inline (a call only for a text or name not seen before in the analysis).
    if annotation:
        found = secrets.get(annotation)
        if found is None:
            found = secrets_in(secrets, annotation)
        if found:
            results.append(fail(f"notes contain {len(found)} password-like value(s)", field="annotation",
                                matches=list(found)))
    if attributes:
        for key, value in attributes.items():
            found = secrets.get(value)
            if found is None:
                found = secrets_in(secrets, value)
            if not found:
                named = key_names.get(key)
                if named is None:
                    named = secret_key_name(key_names, key)
                if named and value.strip():
                    found = (f"{key}={MASK}",)
            if found:
                results.append(fail(f"custom attribute {key!r} contains a password-like value",
                                    field=f"custom_attribute:{key}", matches=list(found)))
    return results
