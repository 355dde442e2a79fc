"""Tests of shipments, carriers and tracking (a package: see conftest.py)."""
