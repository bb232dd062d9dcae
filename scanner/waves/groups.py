"""Move groups: VMs that should move together, from application hints the inventory holds.

A grouping rule reads one hint per VM (folder, vApp, resource pool, cluster, shared port group, a
custom attribute / tag such as "Application", or part of the name); rules chain ("folder,network").
A group file (CSV: VM, Group) written by `vmscan plan` and edited by the team overrides the rule VM by VM.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

from scanner.errors import InputError
from scanner.inventory.model import VM
from scanner.limits import GROUP_FILE_BYTES, read_bounded_bytes
from scanner.patterns import MATCHED_TEXT_CHARS, check_user_pattern

SIMPLE_RULES = ("folder", "vapp", "resource_pool", "cluster", "network")


def folder_group(vm: VM) -> str | None:
    """'/DC1/vm/Prod/Web' -> 'Prod/Web' (the datacenter's VM root says nothing about the application)."""
    parts = [p for p in (vm.folder_path or "").split("/") if p]
    if len(parts) >= 2 and parts[1] == "vm":
        parts = parts[2:]
    return "/".join(parts) or None


def network_group(vm: VM) -> str | None:
    names = sorted({nic.network for nic in vm.nics or [] if nic.network})
    return names[0] if names else None


def grouping_chain(rules: str) -> Callable[[VM], str | None]:
    """'folder,network': the first rule that gives the VM a hint wins (a VM in the root folder is then
    grouped by its port group)."""
    readers = [grouping_rule(rule.strip()) for rule in rules.split(",") if rule.strip()]
    if not readers:
        raise InputError("--group-by: no grouping rule given")

    def first_hint(vm: VM) -> str | None:
        return next((hint for hint in (read(vm) for read in readers) if hint), None)

    return first_hint


def grouping_rule(rule: str) -> Callable[[VM], str | None]:
    """The function that reads a VM's group hint for a rule name (InputError naming the choices)."""
    if rule == "folder":
        return folder_group
    if rule == "vapp":
        return lambda vm: vm.vapp
    if rule == "resource_pool":
        # Every host and cluster has a root pool named "Resources": being in it says nothing.
        return lambda vm: vm.resource_pool if vm.resource_pool and vm.resource_pool.rsplit("/", 1)[-1] != "Resources" \
            else None
    if rule == "cluster":
        return lambda vm: vm.cluster
    if rule == "network":
        return network_group
    if rule.startswith("attribute:") and rule[len("attribute:"):].strip():
        wanted = rule[len("attribute:"):].strip().lower()

        def attribute(vm: VM) -> str | None:
            for key, value in (vm.custom_attributes or {}).items():
                if key.lower() == wanted and value.strip():
                    return value.strip()
            return None

        return attribute
    if rule.startswith("name:"):
        pattern = check_user_pattern(rule[len("name:"):], "--group-by name:", re.IGNORECASE)

        def by_name(vm: VM) -> str | None:
            # vSphere names are at most 80 characters; a longer one is matched by its start, which bounds
            # the backtracking a user's pattern can do on a hostile 32,767-character name (scanner/patterns.py).
            found = pattern.search((vm.name or "")[:MATCHED_TEXT_CHARS])
            if not found:
                return None
            return (found.group(1) if pattern.groups else found.group(0)) or None

        return by_name
    raise InputError(f"--group-by {rule!r}: choose {', '.join(SIMPLE_RULES)}, attribute:<key> or name:<regex>")


def read_group_file(path: str) -> dict[tuple[str, str], str]:
    """(vCenter lower, VM name lower) -> group; vCenter "" when the file has no vCenter column."""
    file = Path(path)
    try:
        # A regular file, bounded: /dev/zero or a FIFO was read until memory ran out.
        text = read_bounded_bytes(file, GROUP_FILE_BYTES, "group file").decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such group file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file.name}: not a readable UTF-8 CSV group file ({exc})") from None
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:  # a field over the csv module's 131,072-character limit was an internal error
        raise InputError(f"{file.name}: not a readable CSV group file ({exc})") from None
    if not rows:
        raise InputError(f"{file.name}: empty group file; expected columns VM and Group")
    header = [h.strip().lower() for h in rows[0]]
    if "vm" not in header or "group" not in header:
        raise InputError(f"{file.name}: group file needs the columns VM and Group (found {', '.join(rows[0])})")
    vm_col, group_col = header.index("vm"), header.index("group")
    vc_col = header.index("vcenter") if "vcenter" in header else None
    mapping: dict[tuple[str, str], str] = {}
    for row in rows[1:]:
        if len(row) <= max(vm_col, group_col) or not row[vm_col].strip() or not row[group_col].strip():
            continue
        # The file is our own CSV output edited in a spreadsheet: undo the formula guard's quote.
        name = row[vm_col].strip().removeprefix("'")
        vcenter = row[vc_col].strip().lower() if vc_col is not None and len(row) > vc_col else ""
        mapping[(vcenter, name.lower())] = row[group_col].strip().removeprefix("'")
    return mapping


def group_of(vm: VM, hint: Callable[[VM], str | None], rule: str,
             group_file: dict[tuple[str, str], str] | None) -> tuple[str, str]:
    """(group name, how it was decided) for one VM: the group file first, then the rule, else the VM alone."""
    if group_file:
        name = (vm.name or "").lower()
        chosen = group_file.get(((vm.vcenter or "").lower(), name)) or group_file.get(("", name))
        if chosen:
            return chosen, "group file"
    value = hint(vm)
    if value:
        return value, rule
    return f"{vm.name or vm.id} (no {rule})", "single VM"
