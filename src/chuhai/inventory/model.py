"""Stock movements and what each does to the stock buckets of one SKU in one warehouse.

Buckets: receiving (counted at the dock, waiting for QC and put-away), on_hand (on the
shelf, reserved units included), reserved (promised to orders), picked (off the shelf,
waiting for the carrier), in_transit (on a line-haul towards this warehouse).
available = on_hand - reserved.
"""

from __future__ import annotations

from dataclasses import dataclass

BUCKETS = ("receiving", "on_hand", "reserved", "picked", "in_transit")


@dataclass(frozen=True)
class Movement:
    kind: str
    per_unit: dict[str, int]  # bucket -> change per unit moved
    meaning: str
    signed: bool = False  # a count adjustment may go either way


MOVEMENTS: dict[str, Movement] = {
    m.kind: m
    for m in (
        Movement("receipt", {"receiving": 1}, "counted in at the dock"),
        Movement("qc_reject", {"receiving": -1}, "failed quality control, refused"),
        Movement("put_away", {"receiving": -1, "on_hand": 1}, "passed QC, shelved"),
        Movement("transfer_out", {"on_hand": -1}, "left on a line-haul transfer"),
        Movement("in_transit", {"in_transit": 1}, "on a line-haul towards this warehouse"),
        Movement("transfer_in", {"in_transit": -1, "on_hand": 1}, "arrived and shelved"),
        Movement("reserve", {"reserved": 1}, "promised to an order"),
        Movement("release", {"reserved": -1}, "promise withdrawn (cancelled order)"),
        Movement("pick", {"reserved": -1, "on_hand": -1, "picked": 1}, "picked and packed"),
        Movement("ship", {"picked": -1}, "handed to the carrier"),
        Movement("put_back", {"picked": -1, "on_hand": 1}, "picked, order cancelled, reshelved"),
        Movement("return_to_stock", {"on_hand": 1}, "returned by a buyer, back on the shelf"),
        Movement("write_off", {"on_hand": -1}, "damaged, lost or unsellable"),
        Movement("count_adjustment", {"on_hand": 1}, "stock count correction", signed=True),
    )
}


def deltas(kind: str, quantity: int) -> dict[str, int]:
    """The change to every bucket for `quantity` units of a movement kind."""
    per_unit = MOVEMENTS[kind].per_unit
    return {bucket: per_unit.get(bucket, 0) * quantity for bucket in BUCKETS}


@dataclass(frozen=True)
class Balance:
    sku_id: str
    warehouse_id: str
    receiving: int
    on_hand: int
    reserved: int
    picked: int
    in_transit: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved
