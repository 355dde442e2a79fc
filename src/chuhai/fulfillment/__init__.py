"""Fulfillment: shipments, carriers and their labels, tracking events."""
