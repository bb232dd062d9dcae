"""vmscan: vSphere-to-cloud migration readiness scanner."""

__version__ = "0.1.0"
