"""The customs capability."""
