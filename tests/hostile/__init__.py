"""Hostile files, made at test time (only the generators are committed): `generate.py`."""
