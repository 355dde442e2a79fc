"""Inventory: warehouses, the stock ledger and its balances, stock-up orders to suppliers,
line-haul transfers abroad."""
