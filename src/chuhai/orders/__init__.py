"""Orders: carts, checkout with payment, allocation of stock, the order's life, returns."""
