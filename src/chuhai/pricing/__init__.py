"""The pricing capability."""
