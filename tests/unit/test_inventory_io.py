import gzip
import json

import pytest

from scanner.errors import InputError, OutputError
from scanner.inventory.io import load_estate, save_estate
from scanner.inventory.model import (
    VM,
    Controller,
    Disk,
    Estate,
    Host,
    Nic,
    PerfStats,
    RemovableDrive,
    Snapshot,
    Source,
    VCenter,
)


def sample_estate() -> Estate:
    vm = VM(
        id="uuid-1/vm-1",
        moref="vm-1",
        name="web01",
        power_state="powered_on",
        num_cpu=4,
        cores_per_socket=2,
        memory_mib=8192,
        controllers=[Controller(key=1000, type="scsi_pvscsi", bus_sharing="none")],
        disks=[Disk(label="Hard disk 1", capacity_bytes=40 * 1024**3, provisioning="thin", backing="flat")],
        nics=[Nic(label="Network adapter 1", adapter_type="vmxnet3", network="VM Network", connected=True)],
        cdroms=[RemovableDrive(label="CD/DVD drive 1", backing="iso", backing_path="[ds1] a.iso", connected=True)],
        snapshots=[Snapshot(name="before patch", created="2024-01-01T00:00:00Z")],
        snapshot_count=1,
        annotation="<script>alert(1)</script>",
        custom_attributes={"owner": "=HYPERLINK(\"x\")"},
        perf={"cpu.usagemhz": PerfStats(unit="MHz", p95=1200.0, coverage=0.9)},
        usb_devices=None,
    )
    vc = VCenter(name="vc1", instance_uuid="uuid-1", vms=[vm], hosts=[Host(id="uuid-1/host-1", name="esx1")])
    return Estate(collected_at="2026-11-25T00:00:00Z", source=Source(kind="synthetic"), vcenters=[vc])


def test_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "estate.json.gz"
    estate = sample_estate()
    save_estate(estate, path)
    assert load_estate(path) == estate
    assert sample_estate().vcenters[0].vms[0].sockets == 2


def test_saved_file_is_gzip_json_with_schema_header(tmp_path):
    path = tmp_path / "estate.json.gz"
    save_estate(sample_estate(), path)
    data = json.loads(gzip.decompress(path.read_bytes()))
    assert data["schema"] == "vmscan-inventory"
    assert data["schema_version"] == 1
    assert data["vcenters"][0]["vms"][0]["usb_devices"] is None
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_same_estate_gives_identical_bytes(tmp_path):
    save_estate(sample_estate(), tmp_path / "a.json.gz")
    save_estate(sample_estate(), tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
        (b"{not json", "not valid JSON"),
        (json.dumps({"schema": "other"}).encode(), "not a vmscan inventory"),
        (json.dumps({"schema": "vmscan-inventory", "schema_version": 99}).encode(), "schema_version 99"),
        (
            json.dumps({"schema": "vmscan-inventory", "schema_version": 1, "collected_at": 5,
                        "source": {"kind": "x"}}).encode(),
            "$.collected_at: expected a string",
        ),
        (
            json.dumps({"schema": "vmscan-inventory", "schema_version": 1, "collected_at": "x",
                        "source": {"kind": "x"}, "bogus": 1}).encode(),
            "unknown field 'bogus'",
        ),
    ],
)
def test_bad_snapshot_gives_one_line_error(tmp_path, content, message):
    path = tmp_path / "bad.json.gz"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_estate(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_truncated_gzip_is_rejected(tmp_path):
    path = tmp_path / "estate.json.gz"
    save_estate(sample_estate(), path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(InputError, match="gzip"):
        load_estate(path)


def test_missing_and_folder_inputs(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_estate(tmp_path / "nope.json.gz")
    with pytest.raises(InputError, match="is a folder"):
        load_estate(tmp_path)


def test_failed_save_leaves_no_file(tmp_path, monkeypatch):
    path = tmp_path / "estate.json.gz"

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("scanner.inventory.io.json.dumps", lambda *a, **k: "{}")
    monkeypatch.setattr("gzip.GzipFile.write", explode)
    with pytest.raises(KeyboardInterrupt):
        save_estate(sample_estate(), path)
    assert list(tmp_path.iterdir()) == []


def test_error_path_with_a_control_character_key_stays_one_line():
    from scanner.serde import SchemaMismatch, from_plain

    with pytest.raises(SchemaMismatch) as info:
        from_plain(Source, {"kind": "vcenter", "detail": {"\n": None}})
    assert "\n" not in str(info.value)
    assert "'\\n'" in str(info.value)


def _one_shot_text(estate: Estate) -> str:
    """How save_estate wrote snapshots before it streamed: one plain tree, one string."""
    from scanner.serde import to_plain

    return json.dumps(to_plain(estate), ensure_ascii=False, separators=(",", ":"))


def _streamed_estates() -> list[Estate]:
    from scanner.inventory.model import CollectionIssue
    from scanner.synthetic import generate_estate

    big = generate_estate(1234, seed=3)  # more VMs than one slice of the streamed writer
    assert len(big.all_vms()) > 1000
    second = sample_estate().vcenters[0]
    big.vcenters.append(second)  # several vCenters, one of them small
    big.collection_issues = [CollectionIssue(vcenter="vc1", property="perf", message="ünïcode \u2028 \"quoted\"")]
    empty = Estate(collected_at="2026-11-25T00:00:00Z", source=Source(kind="synthetic"))
    no_vms = Estate(collected_at="x", source=Source(kind="synthetic"), vcenters=[VCenter(name="vc-empty")])
    return [big, sample_estate(), empty, no_vms]


@pytest.mark.parametrize("index", range(4))
def test_streamed_snapshot_is_byte_identical_to_one_shot_json(tmp_path, index):
    from scanner.inventory.io import GZIP_LEVEL, estate_json_parts

    estate = _streamed_estates()[index]
    expected = _one_shot_text(estate)
    assert "".join(estate_json_parts(estate)) == expected
    plain = tmp_path / "estate.json"
    save_estate(estate, plain)
    assert plain.read_bytes() == expected.encode("utf-8")
    packed = tmp_path / "estate.json.gz"
    save_estate(estate, packed)
    assert gzip.decompress(packed.read_bytes()) == expected.encode("utf-8")
    # The same gzip bytes as one write of the whole text (mtime=0, same level).
    reference = tmp_path / "reference.json.gz"
    with open(reference, "wb") as handle, gzip.GzipFile(
        filename="", mode="wb", fileobj=handle, mtime=0, compresslevel=GZIP_LEVEL
    ) as gz:
        gz.write(expected.encode("utf-8"))
    assert packed.read_bytes() == reference.read_bytes()
    assert load_estate(packed) == estate


def test_perf_dicts_are_converted_as_to_plain_converts_them():
    """VM.perf (dict[str, PerfStats] | None) goes through PerfStats' own converter: same plain data."""
    from scanner.serde import plain_converter, to_plain

    stats = PerfStats(unit="MHz", p50=1.5, p90=2.0, p95=2.5, p99=3.0, max=4.0, samples=360, coverage=1.0)
    convert = plain_converter(VM)
    for perf in ({"cpu.usagemhz": stats, "mem.active": PerfStats()}, {}, None, {1: stats}):
        vm = VM(id="u/vm-1", name="a", perf=perf)  # type: ignore[arg-type]
        assert json.dumps(convert(vm)) == json.dumps(to_plain(vm))


def test_background_writer_hands_on_every_piece_in_order_and_raises_the_first_error() -> None:
    from scanner.inventory.io import _BackgroundWriter

    written: list[bytes] = []
    with _BackgroundWriter(written.append) as write:
        for index in range(50):
            write(b"%d," % index)
        write(b"")  # nothing to hand on
    assert b"".join(written) == b"".join(b"%d," % index for index in range(50))

    calls: list[bytes] = []

    def failing(data: bytes) -> None:
        calls.append(data)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"), _BackgroundWriter(failing) as write:
        for index in range(20):
            write(b"x%d" % index)
    assert calls == [b"x0", b"x1", b"x2"]  # nothing written after the failure


def test_a_disk_full_during_the_gzip_write_is_raised_and_leaves_no_file(tmp_path, monkeypatch) -> None:
    # The gzip write runs in a second thread: its error still reaches the caller, no file is left.
    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("gzip.GzipFile.write", no_space)
    with pytest.raises(OutputError, match="No space left"):
        save_estate(sample_estate(), tmp_path / "estate.json.gz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("num_cpu", -1, "vcenters[0].vms[0].num_cpu = -1"),
        ("memory_mib", -8192, "vcenters[0].vms[0].memory_mib = -8192"),
        ("storage_committed_bytes", -1, "vcenters[0].vms[0].storage_committed_bytes = -1"),
        ("disk", -1, "vcenters[0].vms[0].disks[0].capacity_bytes = -1"),
    ],
)
def test_a_snapshot_with_a_negative_count_or_size_is_refused_in_one_line(tmp_path, field, value, where):
    # Found by tests/badinput's property test: a snapshot with num_cpu = -1 loaded, and the vCPU
    # totals and the sizing took it.
    path = tmp_path / "estate.json"
    save_estate(sample_estate(), path)
    document = json.loads(path.read_text())
    vm = document["vcenters"][0]["vms"][0]
    if field == "disk":
        vm["disks"][0]["capacity_bytes"] = value
    else:
        vm[field] = value
    path.write_text(json.dumps(document))
    with pytest.raises(InputError) as caught:
        load_estate(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith(f"invalid inventory: {where} is negative (a count or size cannot be)")


def test_a_snapshot_with_unlimited_limits_and_zero_sizes_loads(tmp_path):
    # The near miss: -1 is vSphere's "unlimited" for the limits, and zero is a size.
    estate = sample_estate()
    vm = estate.vcenters[0].vms[0]
    vm.cpu_limit_mhz = vm.memory_limit_mib = -1
    vm.storage_committed_bytes = vm.storage_uncommitted_bytes = 0
    path = tmp_path / "estate.json.gz"
    save_estate(estate, path)
    loaded = load_estate(path).vcenters[0].vms[0]
    assert (loaded.cpu_limit_mhz, loaded.memory_limit_mib, loaded.storage_committed_bytes) == (-1, -1, 0)
