"""The finance capability."""
