"""The landed-cost engine run backwards: the highest supply price (CNY fen) whose retail
price in a market stays at or under a target.

`pricing.landed_cost` prices forwards only. Its price is a step function of the supply
price: each cost line is rounded half up, the price is rounded up and then to the market's
ending (x.99, whole units), and a 9610 parcel switches from the low-value regime to the full
one above the threshold. A closed-form inverse of P = A / (1 − k) would be off by those
roundings, so instead the forward kernel itself is searched over integer fen: exact by
construction, about 2·log2(supply) evaluations (some 50 for a few hundred yuan).

The search keeps price(low) ≤ target < price(high), so the answer's price is at or under
the target and one fen more is over it, always. It is the highest such supply price when
the price never falls as the supply price rises: true of every cost line, and of the switch
out of a low-value regime wherever that regime's relief is worth more than its flat duty.
Where a flat per-item duty outweighs the ad-valorem duty above the threshold, a higher
supply price past the threshold might also meet the target; the answer is then a safe one.
"""

from __future__ import annotations

from dataclasses import replace

from chuhai.pricing.landed_cost import Inputs, landed_cost

MAX_SUPPLY_FEN = 100_000_000_00  # the catalog's own ceiling on a unit's supply price


def retail_price(inputs: Inputs, supply_fen: int) -> int:
    """The shown retail price (destination minor units) of one unit at this supply price."""
    return landed_cost(replace(inputs, supply_fen=supply_fen)).price


def max_supply_for(inputs: Inputs, retail: int) -> int | None:
    """The largest supply price in fen whose retail price is at most `retail`; None when even
    a free unit (freight, duty, fees and margin alone) prices above it."""
    if retail_price(inputs, 0) > retail:
        return None
    low, high = 0, 1
    while retail_price(inputs, high) <= retail:  # invariant: price(low) <= retail
        if high >= MAX_SUPPLY_FEN:
            return MAX_SUPPLY_FEN
        low, high = high, min(high * 2, MAX_SUPPLY_FEN)
    while high - low > 1:  # invariant: price(low) <= retail < price(high)
        middle = (low + high) // 2
        if retail_price(inputs, middle) <= retail:
            low = middle
        else:
            high = middle
    return low
