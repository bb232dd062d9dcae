"""Reference URLs shared by several rules."""

HCX_VMOTION = "https://docs.vmware.com/en/VMware-HCX/services/user-guide/GUID-517866F6-AF06-4EFC-8FAE-DA067418D584.html"
HCX_BULK = "https://docs.vmware.com/en/VMware-HCX/4.7/hcx-user-guide/GUID-20EA2946-57CD-4A87-AE25-866E5336AEA9.html"
HCX_OPTIONS = "https://docs.vmware.com/en/VMware-HCX/4.10/hcx-user-guide/GUID-98A0F0D6-C59E-4710-BE81-E71426689A4D.html"
# The 4.7 edition of the same page still lists the Bulk switchover option "Force Unmount ISO Images".
HCX_OPTIONS_ISO = "https://docs.vmware.com/en/VMware-HCX/4.7/hcx-user-guide/GUID-98A0F0D6-C59E-4710-BE81-E71426689A4D.html"
# HCX migration API decision rules: removeISOs ("remove the virtual machine iso attachments before
# proceeding with migration"), not limited to Bulk as forcePowerOffVm is.
HCX_API_REMOVE_ISOS = ("https://developer.broadcom.com/xapis/hcx-workload-migration-apis/latest/data-structures/"
                       "nls_1_0_migration_response_migrations_inner_decisionRules/")
HCX_HARDWARE = "https://hcx.design/2021/10/12/vm-migration-series-hcx-vm-hardware/"
AVS_MIGRATE = "https://learn.microsoft.com/azure/azure-vmware/architecture-migrate"
AVS_INTRO = "https://learn.microsoft.com/azure/azure-vmware/introduction"
AVS_WSFC = "https://learn.microsoft.com/azure/azure-vmware/configure-windows-server-failover-cluster"
AVS_ASSESSMENT = "https://learn.microsoft.com/azure/migrate/concepts-azure-vmware-solution-assessment-calculation"
VMC_HOSTS = ("https://docs.vmware.com/en/VMware-Cloud-on-AWS/services/com.vmware.vmc-aws-operations/"
             "GUID-98FD3BA9-8A1B-4500-99FB-C40DF6B3DA95.html")
KB_HARDWARE_VERSIONS = "https://knowledge.broadcom.com/external/article?legacyId=1003746"
KB_SNAPSHOTS = "https://knowledge.broadcom.com/external/article?legacyId=1025279"
# KB 1034165 at its current Broadcom address (the legacyId form of it could not be found).
KB_MULTI_WRITER = "https://knowledge.broadcom.com/external/article/313527/enabling-or-disabling-simultaneous-write.html"
VMWARE_GUEST_OS_COMPAT = "https://www.vmware.com/resources/compatibility/search.php?deviceCategory=software"
CAF_RATIONALIZATION = "https://learn.microsoft.com/azure/cloud-adoption-framework/digital-estate/5-rs-of-rationalization"
HCX_INTEROP = "https://interopmatrix.broadcom.com/Interoperability"
# vSphere API faults raised by migration validation: a connected client-backed device fails a
# powered-on migration; a connected host-local backing (physical CD-ROM) is an error.
VSPHERE_REMOTE_DEVICE = ("https://developer.broadcom.com/xapis/vsphere-web-services-api/7.0u3/"
                         "vim.fault.RemoteDeviceNotSupported.html")
VSPHERE_HOST_DEVICE = ("https://developer.broadcom.com/xapis/vsphere-web-services-api/7.0u3/"
                       "vim.fault.CannotAccessVmDevice.html")
# vCenter's VMware Tools version status (guest.toolsVersionStatus2) and its values.
VSPHERE_TOOLS_VERSION_STATUS = ("https://developer.broadcom.com/xapis/virtual-infrastructure-json-api/latest/"
                                "data-structures/VirtualMachineToolsVersionStatus_enum")
# runtime.consolidationNeeded: a deleted snapshot whose disk was not committed back to the base disk.
VSPHERE_VM_RUNTIME = "https://developer.broadcom.com/xapis/vmware-storage-policy-api/8.0U3/vim.vm.RuntimeInfo.html"
ORACLE_PARTITIONING = "https://www.oracle.com/assets/partitioning-070609.pdf"
