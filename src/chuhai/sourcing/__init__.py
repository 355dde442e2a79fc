"""Sourcing: design briefs from demand, studios' designs, small-batch production orders to
factories and the reorder, hold or stop proposals their sell-through earns."""
