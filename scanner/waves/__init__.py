"""`vmscan plan`: move groups and a migration wave plan built from the Inventory and the Assessment."""
