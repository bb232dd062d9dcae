"""Deterministic synthetic estates for tests, benchmarks and demos.

``generate_estate(vm_count, seed)`` builds an Estate that looks like a real mid-size vSphere
estate: several vCenters, clusters, hosts, datastores and port groups, a mix of current and
end-of-life guest operating systems, old virtual hardware, snapshots, mounted ISOs, RDMs, USB,
e1000 NICs, templates, powered-off and suspended VMs, and a handful of VMs whose names and notes
are hostile on purpose (markup, spreadsheet formulas, bidi marks, control characters, very long
text) so every reporter is exercised against them. The same (vm_count, seed) always gives the
same estate.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from scanner import __version__
from scanner.inventory.model import (
    VM,
    Cluster,
    CollectionIssue,
    Controller,
    Datacenter,
    Datastore,
    Disk,
    Estate,
    Host,
    Network,
    Nic,
    PassthroughDevice,
    RemovableDrive,
    Snapshot,
    Source,
    UsbController,
    UsbDevice,
    VCenter,
)

GIB = 1024**3
TIB = 1024**4
COLLECTED_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)

# Hostile free text every reporter must keep inert. The first VMs of every synthetic estate carry
# them (as name, annotation and custom attribute), so even a 10-VM estate contains all of them.
HOSTILE_STRINGS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    '=HYPERLINK("http://example.invalid","x")',
    "@SUM(1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\u202eexe.txt\u202c web\u200f-rtl",
    "ctl\x00\x07\x1b[31mred\x7f",
    "</script><!-- <script>alert(2)</script>",
    '"quoted", comma; semi\ttab\r\nnewline',
    "\tleading tab",
)
LONG_TEXT = ("very long note " * 3000).strip()  # ~45,000 chars: longer than one Excel cell

# (guest_id, full name, weight): current, old and end-of-life systems.
GUEST_OSES: tuple[tuple[str, str, int], ...] = (
    ("windows2019srv_64Guest", "Microsoft Windows Server 2019 (64-bit)", 22),
    ("windows2019srvNext_64Guest", "Microsoft Windows Server 2022 (64-bit)", 14),
    ("windows9Server64Guest", "Microsoft Windows Server 2016 (64-bit)", 12),
    ("windows8Server64Guest", "Microsoft Windows Server 2012 (64-bit)", 7),
    ("windows7Server64Guest", "Microsoft Windows Server 2008 R2 (64-bit)", 4),
    ("winNetEnterpriseGuest", "Microsoft Windows Server 2003 (32-bit)", 1),
    ("windows9_64Guest", "Microsoft Windows 10 (64-bit)", 3),
    ("rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)", 10),
    ("rhel7_64Guest", "Red Hat Enterprise Linux 7 (64-bit)", 6),
    ("rhel6_64Guest", "Red Hat Enterprise Linux 6 (64-bit)", 2),
    ("ubuntu64Guest", "Ubuntu Linux (64-bit)", 7),
    ("centos7_64Guest", "CentOS 7 (64-bit)", 4),
    ("sles15_64Guest", "SUSE Linux Enterprise 15 (64-bit)", 3),
    ("debian11_64Guest", "Debian GNU/Linux 11 (64-bit)", 2),
    ("oracleLinux8_64Guest", "Oracle Linux 8 (64-bit)", 2),
    ("freebsd12_64Guest", "FreeBSD 12 (64-bit)", 1),
    ("otherGuest", "Other (32-bit)", 1),
)
HARDWARE_VERSIONS = ((21, 3), (19, 30), (17, 15), (15, 12), (14, 10), (13, 12), (11, 8), (10, 5), (9, 3), (8, 2))
ESXI_VERSIONS = (("8.0.2", "22380479"), ("7.0.3", "21930508"), ("7.0.3", "20328353"), ("6.7.0", "17700523"))
APP_WORDS = ("web", "app", "db", "sql", "exch", "dc", "file", "print", "ctx", "sap", "erp", "crm", "ci", "log", "mon")
ENVS = ("prd", "tst", "dev", "uat", "dr")


def _weighted(rng: random.Random, choices: tuple[tuple[object, ...], ...], weight_index: int) -> tuple[object, ...]:
    weights = [int(str(c[weight_index])) for c in choices]
    return rng.choices(choices, weights=weights, k=1)[0]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_estate(vm_count: int, seed: int = 0) -> Estate:
    """A realistic synthetic estate with exactly ``vm_count`` VMs (templates included)."""
    if vm_count < 0:
        raise ValueError("vm_count must not be negative")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    vcenter_count = 1 if vm_count < 40 else 2 if vm_count < 5_000 else 3
    estate = Estate(
        collected_at=_iso(COLLECTED_AT),
        source=Source(kind="synthetic", tool=f"vmscan {__version__}", detail={"seed": str(seed)}),
    )
    remaining = vm_count
    vm_index = 0
    for vc_index in range(vcenter_count):
        share = remaining // (vcenter_count - vc_index)
        remaining -= share
        vcenter = _generate_vcenter(rng, vc_index, share, vm_index)
        vm_index += share
        estate.vcenters.append(vcenter)
    _add_collection_issues(rng, estate)
    return estate


def _generate_vcenter(rng: random.Random, vc_index: int, vm_count: int, first_vm_index: int) -> VCenter:
    site = ("ams", "fra", "lon", "nyc")[vc_index % 4]
    name = f"vc{vc_index + 1:02d}-{site}.corp.example"
    uuid = f"{seed_uuid(rng)}"
    version, build = (("8.0.2", "22617221"), ("7.0.3", "21958406"), ("7.0.3", "20990077"))[vc_index % 3]
    vcenter = VCenter(
        name=name,
        instance_uuid=uuid,
        version=version,
        build=build,
        full_name=f"VMware vCenter Server {version} build-{build}",
        api_version=version[:3] + ".0.0" if version.startswith("8") else "7.0.3.0",
        source_kind="synthetic",
        datacenters=[Datacenter(name=f"DC-{site.upper()}", moref="datacenter-3")],
    )
    datacenter = vcenter.datacenters[0].name
    # Roughly 25 VMs per host and 4..16 hosts per cluster, as in typical enterprise clusters.
    host_count = max(2, -(-vm_count // 25))
    cluster_count = max(1, -(-host_count // 12))
    networks = _generate_networks(rng, vc_index, datacenter)
    vcenter.networks = networks
    host_number = 0
    for cl_index in range(cluster_count):
        cluster_name = f"{site.upper()}-{('PROD', 'NONPROD', 'MGMT', 'DMZ', 'VDI')[cl_index % 5]}-{cl_index + 1:02d}"
        cluster = Cluster(
            id=f"{uuid}/domain-c{100 + cl_index}",
            moref=f"domain-c{100 + cl_index}",
            name=cluster_name,
            datacenter=datacenter,
            ha_enabled=True,
            drs_enabled=cl_index % 4 != 3,
            drs_behavior="fullyAutomated" if cl_index % 4 != 3 else None,
            evc_mode=rng.choice(("intel-cascadelake", "intel-skylake", "intel-broadwell", None)),
            vsan_enabled=cl_index % 3 == 0,
        )
        hosts_here = host_count // cluster_count + (1 if cl_index < host_count % cluster_count else 0)
        esxi_version, esxi_build = rng.choice(ESXI_VERSIONS)
        cores = rng.choice((16, 20, 24, 28, 32))
        memory_gib = rng.choice((384, 512, 768, 1024, 1536))
        for _ in range(max(2, hosts_here)):
            host_number += 1
            host_name = f"esx{host_number:03d}.{site}.corp.example"
            vcenter.hosts.append(
                Host(
                    id=f"{uuid}/host-{1000 + host_number}",
                    moref=f"host-{1000 + host_number}",
                    name=host_name,
                    datacenter=datacenter,
                    cluster=cluster_name,
                    esxi_version=esxi_version,
                    esxi_build=esxi_build,
                    product_full_name=f"VMware ESXi {esxi_version} build-{esxi_build}",
                    vendor=rng.choice(("Dell Inc.", "HPE", "Lenovo", "Cisco Systems Inc")),
                    model=rng.choice(("PowerEdge R750", "ProLiant DL380 Gen10", "ThinkSystem SR650", "UCSC-C240-M5")),
                    cpu_vendor="intel",
                    cpu_model="Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
                    cpu_sockets=2,
                    cpu_cores=cores * 2,
                    cpu_threads=cores * 4,
                    cpu_mhz=rng.choice((2100, 2400, 2600, 3000)),
                    memory_mib=memory_gib * 1024,
                    connection_state="connected" if rng.random() > 0.02 else "disconnected",
                    maintenance_mode=rng.random() < 0.03,
                    power_state="powered_on",
                    cpu_usage_mhz=rng.randint(5_000, 60_000),
                    memory_usage_mib=rng.randint(memory_gib * 300, memory_gib * 900),
                )
            )
            cluster.hosts.append(host_name)
        vcenter.clusters.append(cluster)
        for ds_index in range(rng.randint(2, 5)):
            ds_type = "vsan" if cluster.vsan_enabled and ds_index == 0 else rng.choice(("vmfs", "vmfs", "vmfs", "nfs"))
            capacity = rng.choice((4, 8, 16, 32)) * TIB
            vcenter.datastores.append(
                Datastore(
                    id=f"{uuid}/datastore-{cl_index * 10 + ds_index + 200}",
                    moref=f"datastore-{cl_index * 10 + ds_index + 200}",
                    name=f"{cluster_name}-{ds_type.upper()}-{ds_index + 1:02d}",
                    datacenter=datacenter,
                    type=ds_type,
                    capacity_bytes=capacity,
                    free_bytes=int(capacity * rng.uniform(0.05, 0.6)),
                    accessible=True,
                    hosts=list(cluster.hosts),
                )
            )
    by_cluster: dict[str, list[Host]] = {}
    for host in vcenter.hosts:
        by_cluster.setdefault(host.cluster or "", []).append(host)
    ds_by_cluster: dict[str, list[Datastore]] = {}
    for ds in vcenter.datastores:
        ds_by_cluster.setdefault((ds.name or "").rsplit("-", 2)[0], []).append(ds)
    for offset in range(vm_count):
        cluster = vcenter.clusters[offset % len(vcenter.clusters)]
        host = rng.choice(by_cluster[cluster.name or ""])
        datastores = ds_by_cluster.get(cluster.name or "") or vcenter.datastores
        vcenter.vms.append(
            _generate_vm(rng, vcenter, uuid, first_vm_index + offset, offset, cluster, host, datastores, networks)
        )
    return vcenter


def seed_uuid(rng: random.Random) -> str:
    value = rng.getrandbits(128)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _generate_networks(rng: random.Random, vc_index: int, datacenter: str) -> list[Network]:
    networks = []
    for index, (purpose, vlan) in enumerate(
        (("Prod-Web", "110"), ("Prod-App", "120"), ("Prod-DB", "130"), ("NonProd", "210"), ("DMZ", "300"),
         ("Backup", "400"), ("vMotion", "500"), ("Mgmt", "10"), ("Trunk", "1-4094"), ("Isolated", "0"))
    ):
        distributed = index % 5 != 4
        networks.append(
            Network(
                id=f"vc{vc_index}/dvportgroup-{300 + index}",
                moref=f"dvportgroup-{300 + index}" if distributed else f"network-{300 + index}",
                name=f"PG-{purpose}-VLAN{vlan}" if vlan not in ("0", "1-4094") else f"PG-{purpose}",
                datacenter=datacenter,
                kind="distributed" if distributed else "standard",
                vlan=vlan,
                switch="dvs-core-01" if distributed else "vSwitch0",
                uplink=False,
            )
        )
    return networks


def _generate_vm(
    rng: random.Random,
    vcenter: VCenter,
    vc_uuid: str,
    global_index: int,
    local_index: int,
    cluster: Cluster,
    host: Host,
    datastores: list[Datastore],
    networks: list[Network],
) -> VM:
    moref = f"vm-{1000 + local_index}"
    guest_id, guest_name = (str(v) for v in _weighted(rng, GUEST_OSES, 2)[:2])
    hw_version = int(str(_weighted(rng, HARDWARE_VERSIONS, 1)[0]))
    template = rng.random() < 0.03
    power_roll = rng.random()
    power_state = (
        "powered_off" if template or power_roll < 0.12 else "suspended" if power_roll < 0.14 else "powered_on"
    )
    num_cpu = rng.choice((1, 2, 2, 2, 4, 4, 4, 8, 8, 12, 16, 24, 32))
    cores_per_socket = rng.choice([c for c in (1, 2, 4, num_cpu) if num_cpu % c == 0])
    memory_mib = rng.choice((1024, 2048, 4096, 4096, 8192, 8192, 16384, 16384, 32768, 65536, 131072, 262144))
    name = f"{rng.choice(ENVS)}-{rng.choice(APP_WORDS)}{global_index:05d}"
    annotation: str | None = rng.choice((None, None, "Owner: app team", "Decommission after Q3", "Ticket CHG0012345"))
    custom_attributes = {
        "Owner": rng.choice(("ops", "dba", "web team", "sap basis")),
        "CostCenter": str(rng.randint(1000, 9999)),
    }
    hostile_index = global_index % 50
    if global_index < len(HOSTILE_STRINGS) * 50 and hostile_index < len(HOSTILE_STRINGS):
        hostile = HOSTILE_STRINGS[hostile_index]
        # The very first hostile VMs use the text as their name, later ones only as notes.
        if global_index < len(HOSTILE_STRINGS):
            name = hostile
        annotation = hostile
        custom_attributes["Note"] = hostile
    if global_index == len(HOSTILE_STRINGS):
        annotation = LONG_TEXT
        name = "long-" + "x" * 300

    controllers: list[Controller] = []
    controller_type = "scsi_pvscsi" if rng.random() < 0.4 else "scsi_lsilogic_sas"
    if guest_id.startswith(("winNet", "windows7")):
        controller_type = "scsi_lsilogic"
    bus_sharing = "physical" if rng.random() < 0.01 else "none"
    controllers.append(Controller(key=1000, label="SCSI controller 0", type=controller_type, bus_sharing=bus_sharing,
                                  bus_number=0))
    disks: list[Disk] = []
    disk_count = rng.choice((1, 1, 2, 2, 3, 4, 6))
    rdm_kind = rng.random()
    for disk_index in range(disk_count):
        datastore = rng.choice(datastores)
        backing = "flat"
        lun = None
        if disk_index == disk_count - 1 and disk_index > 0 and rdm_kind < 0.03:
            backing = "rdm_physical" if rdm_kind < 0.015 else "rdm_virtual"
            lun = f"naa.600508b1001c{rng.getrandbits(64):016x}"
        capacity = rng.choice((40, 60, 80, 100, 200, 500, 1024, 2048)) * GIB
        disks.append(
            Disk(
                key=2000 + disk_index,
                label=f"Hard disk {disk_index + 1}",
                capacity_bytes=capacity,
                provisioning=rng.choice(("thin", "thin", "thick_lazy", "thick_eager")) if backing == "flat" else None,
                mode="independent_persistent" if rng.random() < 0.02 else "persistent",
                sharing="multi_writer" if bus_sharing == "physical" and disk_index > 0 else "none",
                backing=backing,
                datastore=datastore.name,
                file_name=f"[{datastore.name}] {name[:40]}/{name[:40]}_{disk_index}.vmdk",
                controller_type=controller_type,
                controller_bus_sharing=bus_sharing,
                controller_key=1000,
                unit_number=disk_index,
                lun_uuid=lun,
            )
        )
    nics: list[Nic] = []
    for nic_index in range(rng.choice((1, 1, 1, 2, 3))):
        network = rng.choice(networks)
        adapter = rng.choices(("vmxnet3", "e1000", "e1000e", "vmxnet2"), weights=(80, 9, 9, 2))[0]
        nics.append(
            Nic(
                key=4000 + nic_index,
                label=f"Network adapter {nic_index + 1}",
                adapter_type=adapter,
                network=network.name,
                network_kind=network.kind,
                connected=power_state == "powered_on",
                start_connected=True,
                mac_address=f"00:50:56:{rng.randint(0, 63):02x}:{rng.randint(0, 255):02x}:{rng.randint(0, 255):02x}",
                mac_type="assigned" if rng.random() > 0.03 else "manual",
            )
        )
    cdroms: list[RemovableDrive] = [RemovableDrive(key=3000, label="CD/DVD drive 1", backing="none",
                                                   connected=False, start_connected=False)]
    if rng.random() < 0.08:
        cdroms[0] = RemovableDrive(
            key=3000, label="CD/DVD drive 1", backing="iso",
            backing_path="[ISO-LIB] " + rng.choice(
                ("SW_DVD9_Win_Server_2019.iso", "rhel-8.6-x86_64-dvd.iso", "VMware-tools-windows-12.1.5.iso")
            ),
            connected=power_state == "powered_on", start_connected=True,
        )
    usb_controllers: list[UsbController] = []
    usb_devices: list[UsbDevice] = []
    if rng.random() < 0.02:
        usb_controllers.append(UsbController(key=7000, label="USB controller", type="usb3"))
        usb_devices.append(UsbDevice(key=7001, label="USB 1", backing_path="path:1/0/3", connected=True))
    passthrough: list[PassthroughDevice] = []
    if rng.random() < 0.005:
        passthrough.append(PassthroughDevice(key=8000, label="PCI device 0", kind="vgpu", detail="grid_t4-4q"))
    snapshots: list[Snapshot] = []
    if rng.random() < 0.12:
        for snap_index in range(rng.choice((1, 1, 2, 3, 5))):
            age_days = rng.randint(1, 900)
            snapshots.append(
                Snapshot(
                    name=f"before patch {snap_index + 1}",
                    description="pre-change snapshot",
                    created=_iso(COLLECTED_AT - timedelta(days=age_days)),
                    power_state=power_state,
                    quiesced=rng.random() < 0.5,
                )
            )
    committed = sum(int((d.capacity_bytes or 0) * rng.uniform(0.2, 0.9)) for d in disks)
    provisioned = sum(d.capacity_bytes or 0 for d in disks)
    tools_status = "not_running" if power_state != "powered_on" else rng.choices(
        ("ok", "old", "not_installed", "not_running"), weights=(80, 12, 4, 4))[0]
    boot_time = _iso(COLLECTED_AT - timedelta(hours=rng.randint(1, 24 * 400))) if power_state == "powered_on" else None
    ipv4 = [f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"] if tools_status == "ok" else []
    return VM(
        id=f"{vc_uuid}/{moref}",
        moref=moref,
        name=name,
        vcenter=vcenter.name,
        bios_uuid=seed_uuid(rng),
        instance_uuid=seed_uuid(rng),
        folder_path=f"/{host.datacenter}/vm/{rng.choice(('Prod', 'NonProd', 'Infra', 'Legacy'))}",
        datacenter=host.datacenter,
        cluster=cluster.name,
        host=host.name,
        resource_pool="Resources",
        power_state=power_state,
        connection_state="connected" if rng.random() > 0.003 else "orphaned",
        template=template,
        num_cpu=num_cpu,
        cores_per_socket=cores_per_socket,
        memory_mib=memory_mib,
        cpu_reservation_mhz=0 if rng.random() > 0.05 else 2000,
        cpu_limit_mhz=-1,
        memory_reservation_mib=0 if rng.random() > 0.05 else memory_mib,
        memory_limit_mib=-1,
        hardware_version=hw_version,
        firmware="efi" if rng.random() < 0.35 else "bios",
        secure_boot=rng.random() < 0.1,
        guest_id=str(guest_id),
        guest_full_name=str(guest_name),
        guest_id_tools=str(guest_id) if tools_status == "ok" else None,
        guest_full_name_tools=str(guest_name) if tools_status == "ok" else None,
        tools_status=tools_status,
        tools_running=tools_status in ("ok", "old"),
        tools_version=rng.choice(("12352", "11365", "10346", "9536")) if tools_status != "not_installed" else None,
        ipv4_addresses=ipv4,
        ipv6_addresses=[],
        hostname=f"{name[:60]}.corp.example" if tools_status == "ok" else None,
        annotation=annotation,
        custom_attributes=custom_attributes,
        controllers=controllers,
        disks=disks,
        nics=nics,
        cdroms=cdroms,
        floppies=[],
        serial_ports=[],
        parallel_ports=[],
        usb_controllers=usb_controllers,
        usb_devices=usb_devices,
        passthrough_devices=passthrough,
        snapshots=snapshots,
        snapshot_count=len(snapshots),
        ft_state="not_configured",
        latency_sensitivity="normal" if rng.random() > 0.01 else "high",
        vtpm=rng.random() < 0.03,
        encrypted=rng.random() < 0.01,
        cbt_enabled=rng.random() < 0.6,
        cpu_hot_add=rng.random() < 0.2,
        memory_hot_add=rng.random() < 0.2,
        boot_time=boot_time,
        powered_off_since=None,
        storage_committed_bytes=committed,
        storage_uncommitted_bytes=provisioned - committed,
        storage_unshared_bytes=committed,
        cpu_usage_mhz=rng.randint(10, 400 * num_cpu) if power_state == "powered_on" else 0,
        memory_consumed_mib=int(memory_mib * rng.uniform(0.3, 1.0)) if power_state == "powered_on" else 0,
        memory_active_mib=int(memory_mib * rng.uniform(0.05, 0.5)) if power_state == "powered_on" else 0,
    )


def _add_collection_issues(rng: random.Random, estate: Estate) -> None:
    vms = estate.all_vms()
    if not vms:
        return
    for vm in rng.sample(vms, k=max(1, len(vms) // 500)):
        vm.tools_version = None
        estate.collection_issues.append(
            CollectionIssue(
                vcenter=vm.vcenter,
                object_id=vm.id,
                object_name=vm.name,
                property="guest.toolsVersion",
                message="NoPermission: System.Read missing on the VM folder",
            )
        )
