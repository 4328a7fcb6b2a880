"""Handful: keep a handful of groups, and go deep in them."""

__version__ = "0.1.0"
