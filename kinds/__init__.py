"""Fact kinds: one module per kind declares its table, input, view, form, rendering and search.

kinds/registry.py lists them; everything above (rendering, services, handlers) reads the specs.
"""
