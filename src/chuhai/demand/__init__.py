"""Demand: signals from every market, forecasts, trend findings."""
