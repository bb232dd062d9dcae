"""Software licensing facts that change when VMs move to new hosts."""

from __future__ import annotations

import re

from scanner.rules import refs
from scanner.rules.base import Results, RuleContext, fail, gap, rule

# Oracle's own operating systems, by vCenter guest id prefix and by name.
ORACLE_GUEST_ID = re.compile(r"^(oraclelinux|solaris)", re.IGNORECASE)
ORACLE_OS_NAME = re.compile(r"\b(oracle\s+(enterprise\s+)?linux|oracle\s+solaris|solaris)\b", re.IGNORECASE)
# Oracle software named in the VM's name, host name, notes or attribute values: "oracle", "orcl",
# or "ora" as a name part ("ora-db01", "prd_ora19", "oradb2") - not inside a word ("Flora").
ORACLE_SOFTWARE = re.compile(r"\boracle\b|\borcl|(?<![a-z])ora(?=$|[^a-z]|db)", re.IGNORECASE)


def oracle_os(ctx: RuleContext) -> tuple[str, str] | None:
    vm = ctx.vm
    for field_name in ("guest_id_tools", "guest_id"):
        value = getattr(vm, field_name)
        if value and ORACLE_GUEST_ID.match(value):
            return field_name, value
    for field_name in ("guest_full_name_tools", "guest_full_name"):
        value = getattr(vm, field_name)
        if value and ORACLE_OS_NAME.search(value):
            return field_name, value
    return None


def names_oracle(text: str) -> bool:
    """ORACLE_SOFTWARE is in ``text``. Each of its words holds "ora" or "orcl", and no other letters
    than "O", "R", "A", "C", "L" fold to those (re.IGNORECASE), so a text whose lower case holds
    neither is passed without the regex ("corp.example" host names among them)."""
    lowered = text.lower()
    return ("ora" in lowered or "orcl" in lowered) and ORACLE_SOFTWARE.search(text) is not None


def oracle_mentions(ctx: RuleContext) -> list[tuple[str, str]]:
    vm = ctx.vm
    attributes = vm.custom_attributes
    # The usual VM names no Oracle anywhere: its texts, lowered as one, hold neither "ora" nor "orcl"
    # (each text lowered is a part of the whole: lower() maps a character at a time, but for the
    # Greek final sigma, which is no letter of those).
    texts = [vm.name, vm.hostname, vm.annotation]
    if attributes:
        texts.extend(attributes.values())
    lowered = "\n".join(filter(None, texts)).lower()
    if "ora" not in lowered and "orcl" not in lowered:
        return []
    found = [(where, text) for where, text in (("name", vm.name), ("hostname", vm.hostname),
                                               ("annotation", vm.annotation)) if text and names_oracle(text)]
    if attributes:
        found += [(f"attribute {key}", value) for key, value in attributes.items() if value and names_oracle(value)]
    return found


@rule(
    id="vm.oracle-licensing",
    title="Oracle software or operating system (licensing on the new hosts)",
    severity="info",
    remediation="Ask the licence owner how Oracle processor licences are counted on the target: under Oracle's "
                "partitioning policy a VMware cluster is soft partitioning, so every physical core of the hosts "
                "the VM can run on may need licensing. Plan a dedicated cluster or host group if needed.",
    rationale="Oracle licences by physical processor where the software can run; moving a VM to AVS or VMC "
              "puts it on new hosts (36-64 cores each) that the licence count must cover. This is information: "
              "it changes no readiness. Detected from an Oracle guest OS or 'oracle'/'orcl'/'ora' in the VM "
              "name, host name, notes or attributes.",
    references=(refs.ORACLE_PARTITIONING, refs.AVS_INTRO, refs.VMC_HOSTS),
    remediable=False,
)
def oracle_licensing(ctx: RuleContext) -> Results:
    vm = ctx.vm
    # The OS reading depends on the four names alone, and an estate has few distinct sets of them.
    names = (vm.guest_id_tools, vm.guest_id, vm.guest_full_name_tools, vm.guest_full_name)
    readings: dict[tuple[str | None, ...], tuple[str, str] | None] = (ctx.shared.get("oracle_os")
                                                                      or ctx.derived("oracle_os", dict))
    if names in readings:
        os_match = readings[names]
    else:
        os_match = readings[names] = oracle_os(ctx)
    mentions = oracle_mentions(ctx)
    if os_match is None and not mentions:
        if not any(names):
            return gap("guest OS not known (no Oracle name found)", "guest_id")
        return ()
    seen = []
    if os_match is not None:
        seen.append(f"Oracle guest OS ({os_match[1]})")
    if mentions:
        seen.append("Oracle named in the " + ", ".join(where for where, _ in mentions))
    return (fail("; ".join(seen), os_field=os_match[0] if os_match else None,
                 os_value=os_match[1] if os_match else None, mentioned_in=[where for where, _ in mentions]),)
