"""Jinja2 templates, CSS and JavaScript of the HTML report (package data, loaded via importlib.resources)."""
