"""Every property path the collector asks for exists in vSphere API 6.5 (vim.version.version11).

A path the server does not know makes the PropertyCollector fault the whole request, so a
property added in a newer API would break collection from every older vCenter.
"""

from __future__ import annotations

import pytest
from pyVmomi import VmomiSupport, vim

from scanner.collector import mappers
from scanner.collector.collect import STRUCTURE_PROPERTIES

OLDEST_API = "vim.version.version11"  # vSphere 6.5

SPECS = [
    (vim.VirtualMachine, mappers.VM_PROPERTIES),
    (vim.HostSystem, (*mappers.HOST_PROPERTIES, *mappers.HOST_PORTGROUP_PROPERTIES)),
    (vim.ClusterComputeResource, mappers.CLUSTER_PROPERTIES),
    (vim.Datastore, mappers.DATASTORE_PROPERTIES),
    (vim.Network, mappers.NETWORK_PROPERTIES),
    (vim.dvs.DistributedVirtualPortgroup, mappers.PORTGROUP_PROPERTIES),
    (vim.OpaqueNetwork, mappers.OPAQUE_NETWORK_PROPERTIES),
    (vim.DistributedVirtualSwitch, mappers.SWITCH_PROPERTIES),
    (vim.CustomFieldsManager, ("field",)),
    *[(t, STRUCTURE_PROPERTIES) for t in (vim.Folder, vim.Datacenter, vim.ComputeResource, vim.ResourcePool)],
]


@pytest.mark.parametrize(("vim_type", "path"), [(t, p) for t, paths in SPECS for p in paths])
def test_path_exists_in_oldest_supported_api(vim_type: type, path: str) -> None:
    current = vim_type
    for segment in path.split("."):
        info = current._GetPropertyInfo(segment)  # type: ignore[attr-defined]
        assert VmomiSupport.IsChildVersion(OLDEST_API, info.version), f"{path}: {segment} needs {info.version}"
        current = info.type
