"""Removable media, ports, USB and passthrough devices."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.inventory.model import PortDevice, RemovableDrive
from scanner.rules import refs
from scanner.rules.base import RuleContext, RuleResult, all_methods, fail, rule, unknown

MEDIA_BACKINGS = ("iso", "image", "host_device", "remote")
LIVE_BLOCKED = {"hcx_vmotion": "blocks", "hcx_rav": "blocks", "hcx_bulk": "conditions", "hcx_cold": "conditions"}


def drive_label(drive: RemovableDrive | PortDevice) -> str:
    return drive.label or f"device key {drive.key}"


def check_drives(drives: list[RemovableDrive] | None, kind: str) -> Iterator[RuleResult]:
    if drives is None:
        yield unknown(f"the input carries no {kind} details", missing=f"{kind}s")
        return
    for drive in drives:
        if drive.backing is None or (drive.connected is None and drive.start_connected is None):
            if drive.backing in (None, *MEDIA_BACKINGS):
                yield unknown(f"backing or connection state of {drive_label(drive)} not known",
                              device=drive_label(drive), backing=drive.backing)
            continue
        if drive.backing in MEDIA_BACKINGS and (drive.connected or drive.start_connected):
            yield fail(f"{drive_label(drive)} is connected to {drive.backing} {drive.backing_path or ''}".strip(),
                       device=drive_label(drive), backing=drive.backing, path=drive.backing_path,
                       connected=drive.connected, start_connected=drive.start_connected)


@rule(
    id="device.cdrom-connected",
    title="CD/DVD drive connected to an ISO or host device",
    severity="warning",
    methods=LIVE_BLOCKED,
    remediation="Disconnect the CD/DVD drive (set it to Client Device, clear 'Connect at power on') before "
                "migrating, or let HCX 'Force Unmount ISO Images' for Bulk migrations.",
    rationale="HCX vMotion does not support VMs with attached ISOs or host media; Bulk can unmount them at "
              "switchover. The ISO's datastore does not exist on the target.",
    references=(refs.HCX_VMOTION, refs.HCX_OPTIONS),
)
def cdrom_connected(ctx: RuleContext) -> Iterator[RuleResult]:
    yield from check_drives(ctx.vm.cdroms, "cdrom")


@rule(
    id="device.floppy-connected",
    title="Floppy drive connected to an image or host device",
    severity="warning",
    methods=LIVE_BLOCKED,
    remediation="Disconnect or remove the floppy drive before migrating.",
    rationale="Attached virtual media (floppy images) are not supported by HCX vMotion and cold migration.",
    references=(refs.HCX_VMOTION,),
)
def floppy_connected(ctx: RuleContext) -> Iterator[RuleResult]:
    yield from check_drives(ctx.vm.floppies, "floppy")


@rule(
    id="device.usb",
    title="USB device attached",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Remove the USB device from the VM (licence dongles: move to a network USB server or a "
                "software licence) before migrating.",
    rationale="A USB device is backed by hardware on the source host; the cloud hosts cannot present it.",
    references=(refs.HCX_VMOTION, refs.AVS_MIGRATE),
)
def usb(ctx: RuleContext) -> Iterator[RuleResult]:
    devices = ctx.vm.usb_devices
    if devices is None:
        yield unknown("the input carries no USB device details", missing="usb_devices")
        return
    for device in devices:
        yield fail(f"USB device {device.label or device.backing_path or device.key} is attached",
                   device=device.label, path=device.backing_path, connected=device.connected)


def check_ports(ports: list[PortDevice] | None, kind: str, risky: tuple[str, ...]) -> Iterator[RuleResult]:
    if ports is None:
        yield unknown(f"the input carries no {kind} port details", missing=f"{kind}_ports")
        return
    for port in ports:
        if port.backing is None:
            yield unknown(f"backing of {drive_label(port)} not known", device=drive_label(port))
        elif port.backing in risky:
            yield fail(f"{drive_label(port)} is backed by {port.backing} {port.backing_path or ''}".strip(),
                       device=drive_label(port), backing=port.backing, path=port.backing_path,
                       connected=port.connected)


@rule(
    id="device.serial-port",
    title="Serial port backed by a host device, named pipe or network",
    severity="warning",
    methods=LIVE_BLOCKED,
    remediation="Remove the serial port, or back it by a file on the VM's datastore; re-create network serial "
                "ports (vSPC) against a concentrator reachable from the target.",
    rationale="vMotion cannot move a VM whose serial port uses a device or pipe on the source host; network "
              "serial concentrators are not reachable from the cloud SDDC.",
    references=(refs.HCX_VMOTION, refs.AVS_MIGRATE),
)
def serial_port(ctx: RuleContext) -> Iterator[RuleResult]:
    yield from check_ports(ctx.vm.serial_ports, "serial", ("device", "pipe", "network"))


@rule(
    id="device.parallel-port",
    title="Parallel port present",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Remove the parallel port from the VM before migrating.",
    rationale="Parallel ports are unsupported on the managed targets and cannot follow the VM off its host.",
    references=(refs.HCX_VMOTION, refs.AVS_MIGRATE),
)
def parallel_port(ctx: RuleContext) -> Iterator[RuleResult]:
    yield from check_ports(ctx.vm.parallel_ports, "parallel", ("file", "device", "pipe", "network", "none"))


@rule(
    id="device.passthrough",
    title="PCI passthrough, DirectPath I/O, SR-IOV or vGPU device",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Remove the passthrough device (replace SR-IOV NICs with VMXNET3, vGPU with a target GPU offering "
                "or a re-platform) before migrating.",
    rationale="DirectPath/PCI devices are tied to source host hardware; HCX requires them to be removed and the "
              "managed hosts offer no passthrough hardware.",
    references=(refs.HCX_BULK, refs.AVS_MIGRATE),
)
def passthrough(ctx: RuleContext) -> Iterator[RuleResult]:
    devices = ctx.vm.passthrough_devices
    if devices is None:
        yield unknown("the input carries no passthrough device details", missing="passthrough_devices")
        return
    for device in devices:
        yield fail(f"{device.kind or 'passthrough'} device {device.label or device.detail or device.key}",
                   device=device.label, kind=device.kind, detail=device.detail)
