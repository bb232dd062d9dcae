"""Reporters: turn an Estate plus its Assessment into HTML, Excel, CSV and JSON files.

Reporters read only the typed models; they never import pyVmomi and never talk to vCenter.
"""
