"""Removable media, ports, USB and passthrough devices."""

from __future__ import annotations

from typing import Any

from scanner.inventory.model import PortDevice, RemovableDrive
from scanner.rules import refs
from scanner.rules.base import (
    Results,
    RuleContext,
    RuleResult,
    all_methods,
    fail,
    gap,
    held_per_vm,
    rule,
    unknown,
)

# The drive of the machine running the remote console ("Client Device"; RVTools "Remote device",
# "Remote ATAPI"): it only matters while a console session has it connected.
CLIENT_BACKINGS = ("client", "remote")
# Media that live on the source site: an ISO/image file on a datastore, or the host's own drive.
SITE_BACKINGS = ("iso", "image", "host_device")
BACKING_WORDS = {"iso": "datastore ISO", "image": "floppy image", "host_device": "host device",
                 "client": "client device", "remote": "client device"}
LIVE_BLOCKED = {"hcx_vmotion": "blocks", "hcx_rav": "blocks", "hcx_bulk": "conditions", "hcx_cold": "conditions"}
# vSphere refuses to vMotion a VM with a connected client-backed device (RemoteDeviceNotSupported);
# Bulk and cold migration power the VM off, which drops the console connection.
CLIENT_CONNECTED = {"hcx_vmotion": "blocks", "hcx_rav": "blocks"}
# A connected datastore ISO: HCX vMotion does not migrate a VM with attached ISOs (nor does cold
# migration, which must meet the vMotion requirements), but HCX unmounts ISOs itself when asked (the
# migration option "Force Unmount ISO Images", decision rule removeISOs) and an administrator disconnects
# one from the running VM in a click. No method is lost: each waits on the ISO being disconnected, so a
# running VM still moves live by vMotion rather than by a Bulk migration that reboots it.
ISO_CONNECTED = {"hcx_vmotion": "conditions", "hcx_rav": "conditions", "hcx_bulk": "conditions",
                 "hcx_cold": "conditions"}
# Not connected now but set to connect at power-on: nothing stops the move, but the ISO or host
# drive does not exist on the target, so it has to be cleared before the VM powers on there.
AT_POWER_ON = {"hcx_vmotion": "conditions", "hcx_rav": "conditions", "hcx_bulk": "conditions",
               "hcx_cold": "conditions"}


def drive_label(drive: RemovableDrive | PortDevice) -> str:
    return drive.label or f"device key {drive.key}"


def seen_backing(drive: RemovableDrive) -> str:
    """What the drive is backed by, as the source showed it: 'datastore ISO [ds1] iso/win.iso'."""
    words = BACKING_WORDS.get(drive.backing or "", drive.backing or "unknown backing")
    return f"{words} {drive.backing_path}" if drive.backing_path else words


def drive_result(drive: RemovableDrive, kind: str) -> RuleResult | None:
    """The finding for one drive, None when it blocks nothing."""
    label = drive_label(drive)
    evidence = {"device": label, "backing": drive.backing, "path": drive.backing_path,
                "connected": drive.connected, "start_connected": drive.start_connected}
    if drive.backing is None:
        return unknown(f"{label}: backing not known", missing=f"{kind}.backing", **evidence)
    if drive.backing in CLIENT_BACKINGS:
        # A client device connects only while a console holds it: "Starts Connected" is moot.
        if drive.connected is None:
            return unknown(f"{label}: {seen_backing(drive)}, connection state not known",
                           missing=f"{kind}.backing", **evidence)
        if drive.connected:
            return fail(f"{label}: {seen_backing(drive)}, connected now", methods=CLIENT_CONNECTED, **evidence)
        return None
    if drive.backing not in SITE_BACKINGS:
        return None
    # A host device (the source host's own drive) has no HCX option: vSphere refuses to vMotion it.
    connected_methods = ISO_CONNECTED if drive.backing == "iso" else LIVE_BLOCKED
    if drive.connected:
        starts = ", starts connected" if drive.start_connected else ""
        return fail(f"{label}: {seen_backing(drive)}, connected now{starts}", methods=connected_methods, **evidence)
    if drive.start_connected:
        now = "not connected now" if drive.connected is False else "connection now not known"
        methods = AT_POWER_ON if drive.connected is False else connected_methods
        return fail(f"{label}: {seen_backing(drive)}, {now}, starts connected (connects at power-on)",
                    methods=methods, **evidence)
    if drive.connected is None or drive.start_connected is None:
        return unknown(f"{label}: {seen_backing(drive)}, connection state not known",
                       missing=f"{kind}.backing", **evidence)
    return None


def check_drives(ctx: RuleContext, drives: list[RemovableDrive] | None, kind: str, family: str,
                 memo_key: str) -> Results:
    if drives is None:
        return gap(f"the input carries no {kind} details", family)
    if not drives:
        return ()
    # A drive's result reads its fields alone, and an estate has few distinct drives (most VMs have
    # the same unbacked "CD/DVD drive 1"): one result per distinct drive of the analysis, handed to
    # each VM with such a drive (read-only; held per VM, never vCenter-wide: see held_per_vm).
    memo: dict[tuple[Any, ...], RuleResult | None] = (ctx.shared.get(memo_key) or ctx.derived(memo_key, dict))
    results = []
    for drive in drives:
        label, connected, start_connected = drive.label, drive.connected, drive.start_connected
        # The types too: the evidence is written as it is (True and 1 are equal keys, not equal JSON).
        key = (label if label else (drive.key, type(drive.key)), drive.backing, drive.backing_path,
               connected, start_connected, type(connected), type(start_connected))
        if key in memo:
            result = memo[key]
        else:
            result = memo[key] = held_per_vm(ctx, drive_result(drive, kind))
        if result is not None:
            results.append(result)
    return results


@rule(
    id="device.cdrom-connected",
    title="CD/DVD drive connected to an ISO, host or client device, or set to connect at power-on",
    severity="warning",
    methods=LIVE_BLOCKED,
    remediation="Disconnect the CD/DVD drive (possible while the VM runs) and clear 'Connect at power on' (or "
                "set it to Client Device), then migrate: a running VM still goes by HCX vMotion or RAV. For a "
                "datastore ISO HCX can do it at migration time ('Force Unmount ISO Images', API removeISOs).",
    rationale="HCX vMotion (and cold migration, which must meet the vMotion requirements) does not migrate "
              "VMs with attached virtual media or ISOs; HCX unmounts ISOs itself when asked, so a connected "
              "datastore ISO conditions every method and blocks none. vSphere refuses to vMotion a VM whose "
              "connected drive is backed by the source host's device or by a client computer; a client "
              "device that is not connected blocks nothing. A datastore ISO or host drive set to connect at "
              "power-on does not exist on the target and must be cleared first.",
    references=(refs.HCX_VMOTION, refs.HCX_OPTIONS_ISO, refs.HCX_API_REMOVE_ISOS, refs.VSPHERE_REMOTE_DEVICE,
                refs.VSPHERE_HOST_DEVICE),
)
def cdrom_connected(ctx: RuleContext) -> Results:
    return check_drives(ctx, ctx.vm.cdroms, "cdrom", "cdroms", "device.cdrom_results")


@rule(
    id="device.floppy-connected",
    title="Floppy drive connected to an image, host or client device, or set to connect at power-on",
    severity="warning",
    methods=LIVE_BLOCKED,
    remediation="Disconnect the floppy drive and clear 'Connect at power on', or remove the drive, before "
                "migrating.",
    rationale="HCX vMotion does not migrate VMs with attached virtual media, and vSphere refuses to vMotion a "
              "VM whose connected drive is backed by the source host's device or by a client computer; a "
              "client device that is not connected blocks nothing.",
    references=(refs.HCX_VMOTION, refs.VSPHERE_REMOTE_DEVICE, refs.VSPHERE_HOST_DEVICE),
)
def floppy_connected(ctx: RuleContext) -> Results:
    return check_drives(ctx, ctx.vm.floppies, "floppy", "floppies", "device.floppy_results")


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
def usb(ctx: RuleContext) -> Results:
    devices = ctx.vm.usb_devices
    if devices is None:
        return gap("the input carries no USB device details", "usb_devices")
    return [fail(f"USB device {device.label or device.backing_path or device.key} is attached",
                 device=device.label, path=device.backing_path, connected=device.connected)
            for device in devices]


def check_ports(ports: list[PortDevice] | None, kind: str, risky: tuple[str, ...]) -> Results:
    if ports is None:
        return gap(f"the input carries no {kind} port details", f"{kind}_ports")
    results: list[RuleResult] = []
    for port in ports:
        if port.backing is None:
            results.append(unknown(f"backing of {drive_label(port)} not known", device=drive_label(port)))
        elif port.backing in risky:
            results.append(fail(f"{drive_label(port)} is backed by {port.backing} {port.backing_path or ''}".strip(),
                                device=drive_label(port), backing=port.backing, path=port.backing_path,
                                connected=port.connected))
    return results


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
    gap_field="serial_ports",
)
def serial_port(ctx: RuleContext) -> Results:
    return check_ports(ctx.vm.serial_ports, "serial", ("device", "pipe", "network"))


@rule(
    id="device.parallel-port",
    title="Parallel port present",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Remove the parallel port from the VM before migrating.",
    rationale="Parallel ports are unsupported on the managed targets and cannot follow the VM off its host.",
    references=(refs.HCX_VMOTION, refs.AVS_MIGRATE),
    gap_field="parallel_ports",
)
def parallel_port(ctx: RuleContext) -> Results:
    return check_ports(ctx.vm.parallel_ports, "parallel", ("file", "device", "pipe", "network", "none"))


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
    gap_field="passthrough_devices",
)
def passthrough(ctx: RuleContext) -> Results:
    devices = ctx.vm.passthrough_devices
    if devices is None:
        return gap("the input carries no passthrough device details", "passthrough_devices")
    return [fail(f"{device.kind or 'passthrough'} device {device.label or device.detail or device.key}",
                 device=device.label, kind=device.kind, detail=device.detail)
            for device in devices]
