"""The load → assess → write sequence shared by `analyze`, `report`, `scan`, `demo` (and new commands).

The CLI parses options and prints; this module does the work in the same order for every command,
so a policy, a sizing basis or an input rule behaves the same whichever command the user ran.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.gcpause import cyclic_gc_paused

if TYPE_CHECKING:
    from scanner.analysis.model import Assessment, InputInfo, NodePrice, SizingResult
    from scanner.inputs import LoadedInput
    from scanner.inventory.model import Estate
    from scanner.policy import Policy
    from scanner.rules.base import Registry


@dataclass(frozen=True)
class AssessSettings:
    """The checked analysis options, read before any long step (collection, a large import)."""

    targets: tuple[str, ...]
    registry: Registry
    policy: Policy
    as_of: dt.date | None
    # allocated | performance | auto; None = the policy's [sizing] basis.
    sizing_basis: str | None = None
    # Node prices from --prices (already applied to the policy's price_per_node); empty = none given.
    prices: tuple[NodePrice, ...] = ()
    # Which VMs get a native IaaS size: replatform | all | none; None = the policy's [native] scope.
    native_scope: str | None = None


def assess_settings(target: str | None, policy_path: str | None, as_of: dt.date | None,
                    sizing_basis: str | None = None, prices_path: str | None = None,
                    native_scope: str | None = None) -> AssessSettings:
    """Load the catalogue and --policy now, so a mistake fails before a collection or a long import.

    ``target``: the --target value - None (the data's [meta] default_targets), "all" (every target of
    the data) or target ids, comma-separated; resolved against the effective policy's targets.
    ``prices_path``: the user's price file; its monthly prices become the node types' price_per_node.
    """
    from scanner.analysis.prices import apply_prices, load_prices
    from scanner.analysis.targets import resolve_targets
    from scanner.policy import load_policy
    from scanner.rules import load_catalogue

    registry = load_catalogue()
    policy = load_policy(policy_path, [spec.id for spec in registry.specs()])
    prices = load_prices(prices_path, policy.data) if prices_path else []
    apply_prices(policy.data, prices)
    return AssessSettings(targets=resolve_targets(target, policy.data), registry=registry, policy=policy,
                          as_of=as_of, sizing_basis=sizing_basis, prices=tuple(prices), native_scope=native_scope)


def input_name(path: str) -> str:
    """An input as deliverables name it: its file (or folder) name, never the local path, which
    would hand the consultant's folder and user names to the customer."""
    return Path(path).name or path


def input_info(path: str, kind: str, estate: Estate) -> InputInfo:
    from scanner.analysis.model import InputInfo

    return InputInfo(path=input_name(path), kind=kind, vcenters=[vc.name for vc in estate.vcenters],
                     vm_count=len(estate.all_vms()))


def input_infos(loaded: Sequence[LoadedInput]) -> list[InputInfo]:
    return [input_info(item.path, item.kind, item.estate) for item in loaded]


def assess(estate: Estate, infos: list[InputInfo], settings: AssessSettings) -> Assessment:
    """Rules, readiness, disposition and sizing for one (merged) estate."""
    from scanner.analysis.engine import analyze
    from scanner.analysis.model import Assessment as AssessmentType
    from scanner.analysis.native import assign_native_sizes
    from scanner.analysis.sizing import assessment_sizing

    def sizing(estate: Estate, assessment: AssessmentType, policy: Policy) -> list[SizingResult]:
        return assessment_sizing(estate, assessment, policy, settings.sizing_basis)

    with cyclic_gc_paused():
        assessment = analyze(estate, targets=settings.targets, policy=settings.policy, as_of=settings.as_of,
                             inputs=infos, registry=settings.registry, sizing=sizing)
        assessment.prices = [p for p in settings.prices if p.target in assessment.targets]
        assign_native_sizes(estate, assessment, settings.policy.data, settings.native_scope)
    return assessment


def load_and_assess(inputs: Sequence[str], settings: AssessSettings) -> tuple[Estate, Assessment]:
    """Read every input (snapshots, RVTools xlsx, CSV folders), merge them and assess the estate."""
    from scanner.inputs import load_inputs

    estate, loaded = load_inputs(list(inputs))
    return estate, assess(estate, input_infos(loaded), settings)


@dataclass(frozen=True)
class WrittenReports:
    directory: Path
    written: list[Path]
    # Report files in the folder from an earlier run that this run did not rewrite.
    stale: list[Path]


def write_report_set(estate: Estate, assessment: Assessment, out: str, formats: str, force: bool) -> WrittenReports:
    """Write the chosen report formats into ``out`` (checked and created here)."""
    from scanner.reporters.output import parse_formats, prepare_output_dir, stale_reports, write_reports

    chosen = parse_formats(formats)
    directory = prepare_output_dir(out, force)
    with cyclic_gc_paused():
        written = write_reports(estate, assessment, directory, chosen)
    return WrittenReports(directory, written, stale_reports(directory, written))
