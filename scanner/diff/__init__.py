"""`vmscan diff`: what changed between two or more scans of the same estate (burndown and drift)."""
