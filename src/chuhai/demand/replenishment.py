"""Replenishment: an (s, S) policy per SKU × warehouse from the forecast's quantiles, and the
stock-up orders and transfers it proposes, which planners approve in bulk.

The arithmetic, for each pair (all pairs at once, in numpy):

    L        total lead time in days: for a consolidation warehouse the SKU's supplier lead
             time, for an overseas one the line-haul transit days (sea, else rail, else air),
             plus PUT_AWAY_DAYS
    mu_L     Σ_{d<L} mean_d, the forecast's daily means summed over the lead time (beyond the
             forecast's horizon each further day adds the horizon's average daily mean)
    sigma_d  (hi95_d − lo95_d) / (2 · 1.96): the normal approximation of the forecast's 95%
             interval; days taken as independent, so sigma_L = sqrt(Σ_{d<L} sigma_d²)
    z        the standard normal quantile of the SKU class's target service level
    safety   z · sigma_L
    s        ceil(mu_L + safety)                    reorder point
    S        s + ceil(REVIEW_DAYS · mean daily)      order-up-to level
    position on hand + receiving + in transit − reserved + on order, where on order is what
             the ledger does not show yet: stock-up orders issued, confirmed or shipped,
             transfers planned but not departed (− at their origin), production runs not
             yet received (sources registered with `register_on_order`)
    order    when position ≤ s: S − position, raised to the supplier's MOQ (stock-up orders
             only), rounded up to whole cartons, capped by (stock-up orders) the supplier's
             capacity over its lead time, in whole cartons; a capped quantity below the MOQ,
             or zero, is not proposed.
    room     a warehouse's free volume is shared: the most urgent pairs first (furthest
             below their reorder point, relative to it) take whole cartons while it lasts;
             a pair cut below its MOQ is skipped, saying the warehouse is full.

A warehouse's demand is the forecast of the markets it serves (a market served by several
overseas warehouses split evenly among them). A SKU is bought into one consolidation
warehouse, the one holding or expecting the most of it (else the first by id), which sees
every market's demand for the SKU, since all its stock passes through there.

The carton quantity is the product attribute `carton_quantity` (catalog.carton_quantity).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from chuhai.catalog import service as catalog
from chuhai.catalog.model import State as ProductState
from chuhai.catalog.tables import ProductRow, SkuRow
from chuhai.core.context import Context
from chuhai.core.errors import FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.pagination import Page, paginate
from chuhai.demand import forecasting, signals
from chuhai.demand.forecasting import Z95
from chuhai.demand.replenishment_tables import ReplenishmentProposalRow, ReplenishmentRunRow
from chuhai.demand.tables import ForecastRunRow
from chuhai.inventory import commitments, ledger, stockup, transfers
from chuhai.inventory.warehouses import list_warehouses

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sqlalchemy.orm import Session

PUT_AWAY_DAYS = 2  # dock to shelf at the receiving warehouse
REVIEW_DAYS = 7  # planners review weekly: S covers a week beyond the reorder point
ORDERABLE = (ProductState.APPROVED, ProductState.LISTED)
MAX_APPROVE = 500

# Target service level per class. ABC ranks SKUs by value sold (units × supply price): the
# top 80% of value is A, the next 15% B, the rest C. XYZ ranks by the coefficient of
# variation of daily demand: X ≤ 0.5, Y ≤ 1.0, Z above. Steady, valuable SKUs earn the
# highest service; erratic, minor ones the lowest (their safety stock would be dear).
SERVICE_LEVELS: dict[str, float] = {
    "AX": 0.98, "AY": 0.97, "AZ": 0.95,
    "BX": 0.96, "BY": 0.95, "BZ": 0.92,
    "CX": 0.93, "CY": 0.90, "CZ": 0.85,
}  # fmt: skip
ABC_LIMITS = (0.80, 0.95)
XYZ_LIMITS = (0.5, 1.0)


OnOrder = Callable[["Session"], dict[tuple[str, str], int]]
_ON_ORDER: list[OnOrder] = [commitments.on_order]


def register_on_order(source: OnOrder) -> None:
    """A capability above this one (production runs) adds the units it has coming."""
    if source not in _ON_ORDER:
        _ON_ORDER.append(source)


def on_order(session: Session) -> dict[tuple[str, str], int]:
    coming: dict[tuple[str, str], int] = defaultdict(int)
    for source in _ON_ORDER:
        for key, units in source(session).items():
            coming[key] += units
    return coming


class State:
    PROPOSED = "proposed"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


# --- the kernel: arrays in, arrays out ----------------------------------------------------------


def abc_xyz(history: pd.DataFrame, unit_value: dict[str, int]) -> dict[str, str]:
    """SKU id -> its class (e.g. "AX") from a history frame (unique_id "<sku>@<market>",
    ds, y) and each SKU's unit value."""
    import numpy as np

    if history.empty:
        return {}
    frame = history.assign(sku_id=history["unique_id"].str.rsplit("@", n=1).str[0])
    daily = frame.groupby(["sku_id", "ds"])["y"].sum()
    by_sku = daily.groupby(level=0)
    units, mean, std = by_sku.sum(), by_sku.mean(), by_sku.std(ddof=0)
    value = units * units.index.map(lambda s: unit_value.get(s, 0)).to_numpy(dtype=float)
    if value.sum() <= 0:
        value = units.astype(float)  # no prices known: rank by units
    order = value.sort_values(ascending=False, kind="stable")
    total = float(order.sum()) or 1.0
    before = (order.cumsum() - order) / total  # share of value ranked above this SKU
    abc = np.where(before < ABC_LIMITS[0], "A", np.where(before < ABC_LIMITS[1], "B", "C"))
    cv = (std / mean.where(mean > 0)).reindex(order.index).fillna(np.inf).to_numpy()
    xyz = np.where(cv <= XYZ_LIMITS[0], "X", np.where(cv <= XYZ_LIMITS[1], "Y", "Z"))
    return {str(s): a + x for s, a, x in zip(order.index, abc, xyz, strict=True)}


def z_of(service: np.ndarray) -> np.ndarray:
    import numpy as np

    inv = np.vectorize(NormalDist().inv_cdf, otypes=[float])
    return np.asarray(inv(service), dtype=float)


def lead_time_demand(
    means: np.ndarray, sigmas: np.ndarray, rows: np.ndarray, lead_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(mu_L, variance_L) for each (series row, lead time) from daily means and sigmas
    (series × horizon matrices)."""
    import numpy as np

    horizon = means.shape[1]
    cum_mean = np.concatenate([np.zeros((len(means), 1)), np.cumsum(means, axis=1)], axis=1)
    cum_var = np.concatenate([np.zeros((len(means), 1)), np.cumsum(sigmas**2, axis=1)], axis=1)
    within = np.minimum(lead_days, horizon)
    beyond = np.maximum(lead_days - horizon, 0)
    mu = cum_mean[rows, within] + beyond * cum_mean[rows, horizon] / horizon
    var = cum_var[rows, within] + beyond * cum_var[rows, horizon] / horizon
    return mu, var


def policy(
    mu: np.ndarray,
    sigma: np.ndarray,
    daily: np.ndarray,
    z: np.ndarray,
    position: np.ndarray,
    moq: np.ndarray,
    carton: np.ndarray,
    cap: np.ndarray,
) -> dict[str, np.ndarray]:
    """s, S and the order quantity for each pair; integer units throughout."""
    import numpy as np

    safety = z * sigma
    s = np.ceil(mu + safety - 1e-9).astype(np.int64)
    big_s = s + np.ceil(REVIEW_DAYS * daily - 1e-9).astype(np.int64)
    raw = np.where(position <= s, np.maximum(big_s - position, 0), 0)
    at_moq = np.where(raw > 0, np.maximum(raw, moq), 0)
    in_cartons = -(-at_moq // carton) * carton
    cap_cartons = (np.maximum(cap, 0) // carton) * carton
    capped = np.minimum(in_cartons, cap_cartons)
    quantity = np.where(capped >= np.maximum(moq, 1), capped, 0)
    return {
        "safety": safety,
        "s": s,
        "S": big_s,
        "raw": raw,
        "at_moq": at_moq,
        "in_cartons": in_cartons,
        "quantity": quantity,
    }


def propose(pairs: pd.DataFrame, feeds: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """The policy for every pair at once.

    pairs: one row per SKU × warehouse with lead_days, service, position, moq, carton,
    cap (units, capacity); feeds: (pair, unique_id, share), which series feed which pair
    in what share; forecast: unique_id, ds, mean, lo-95, hi-95. Returns pairs with mu,
    sigma, safety, s, S, raw, at_moq, in_cartons, quantity, and has_forecast.
    """
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(forecast["unique_id"])  # hashing, not sorting strings
    ds = forecast["ds"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((ds, codes))
    codes = codes[order]
    counts = np.bincount(codes, minlength=len(uniques))
    horizon = int(counts.max()) if len(counts) else 0
    day = np.arange(len(codes)) - (np.cumsum(counts) - counts)[codes]
    means = np.zeros((len(uniques), max(horizon, 1)))
    sigmas = np.zeros_like(means)
    means[codes, day] = np.clip(forecast["mean"].to_numpy(dtype=float)[order], 0, None)
    width = forecast["hi-95"].to_numpy(dtype=float) - forecast["lo-95"].to_numpy(dtype=float)
    sigmas[codes, day] = np.clip(width[order], 0, None) / (2 * Z95)

    found = pd.Index(uniques).get_indexer(feeds["unique_id"])
    known = found >= 0
    fed = feeds[known]
    row = found[known]
    pair = fed["pair"].to_numpy()
    share = fed["share"].to_numpy(dtype=float)
    lead = pairs["lead_days"].to_numpy(dtype=np.int64)[pair]
    mu, var = lead_time_demand(means, sigmas, row, lead)
    daily = means[row].mean(axis=1)
    size = len(pairs)
    mu_sum = np.bincount(pair, mu * share, minlength=size)
    var_sum = np.bincount(pair, var * share**2, minlength=size)
    daily_sum = np.bincount(pair, daily * share, minlength=size)
    has = np.bincount(pair, minlength=size) > 0
    result = policy(
        mu_sum,
        np.sqrt(var_sum),
        daily_sum,
        z_of(pairs["service"].to_numpy(dtype=float)),
        pairs["position"].to_numpy(dtype=np.int64),
        pairs["moq"].to_numpy(dtype=np.int64),
        np.maximum(pairs["carton"].to_numpy(dtype=np.int64), 1),
        pairs["cap"].to_numpy(dtype=np.int64),
    )
    out = pairs.assign(mu=mu_sum, sigma=np.sqrt(var_sum), has_forecast=has, **result)
    out.loc[~has, "quantity"] = 0
    return pd.DataFrame(out)


# --- the service --------------------------------------------------------------------------------


@dataclass
class RunResult:
    run: ReplenishmentRunRow
    proposals: list[ReplenishmentProposalRow]


def compute(ctx: Context, forecast: pd.DataFrame | None = None, horizon: int = 90) -> RunResult:
    """Propose stock-up orders and transfers from `forecast` (or a new stored forecast of the
    order history); open proposals of earlier runs are superseded."""
    import pandas as pd

    ctx.actor.require("replenishment.approve")
    history = signals.history_frame(ctx.session, end=ctx.now().date())
    source, stored = "given", None
    if forecast is None:
        stored, forecast = forecasting.run(ctx, horizon)
        source = stored.method
    skus = list(ctx.session.execute(select(SkuRow, ProductRow).join(ProductRow)))
    value = {sku.id: sku.supply_price_amount for sku, _ in skus}
    classes = abc_xyz(history, value)
    warehouses = [w for w in list_warehouses(ctx) if w.active]
    hubs = [w for w in warehouses if w.kind == "consolidation"]
    serving: dict[str, list[str]] = defaultdict(list)
    for w in warehouses:
        if w.kind == "overseas":
            for market in w.markets:
                serving[str(market)].append(w.id)
    series_of: dict[str, list[str]] = defaultdict(list)
    for uid in pd.unique(forecast["unique_id"]):
        series_of[str(uid).rsplit("@", 1)[0]].append(str(uid))
    balances = {(b.sku_id, b.warehouse_id): b for b in ledger.balances(ctx.session)}
    coming = on_order(ctx.session)
    free = _free_volume(warehouses, balances, {sku.id: sku for sku, _ in skus})
    pairs: list[dict[str, Any]] = []
    feeds: list[tuple[int, str, float]] = []
    skipped: list[dict[str, str]] = []
    for sku, product in skus:
        if product.state not in ORDERABLE:
            if series_of.get(sku.id):
                skipped.append(_skip(sku.id, "", f"its product is {product.state}"))
            continue
        if not series_of.get(sku.id):
            skipped.append(_skip(sku.id, "", "no forecast"))
            continue
        sku_class = classes.get(sku.id, "CZ")
        carton = catalog.carton_quantity(product)
        volume = max(sku.length_mm * sku.width_mm * sku.height_mm, 1) / 1e9
        hub = _home_hub(sku.id, hubs, balances, coming)
        if hub is not None:
            index = len(pairs)
            pairs.append(
                _pair(sku, hub, "stock_up", sku.lead_time_days, sku_class, balances, coming)
                | {"moq": sku.moq, "cap": _supplier_cap(sku), "carton": carton, "volume": volume}
            )
            feeds += [(index, uid, 1.0) for uid in series_of[sku.id]]
        for w in warehouses:
            if w.kind != "overseas":
                continue
            lane = transfers.preferred_lane(w.country_code)
            uids = [u for u in series_of[sku.id] if w.id in serving.get(u.rsplit("@", 1)[1], [])]
            if lane is None or not uids:
                continue
            index = len(pairs)
            pairs.append(
                _pair(sku, w.id, "transfer", lane[1], sku_class, balances, coming)
                | {"moq": 0, "cap": int(free[w.id] / volume), "carton": carton, "volume": volume}
            )
            shares = [1.0 / len(serving[u.rsplit("@", 1)[1]]) for u in uids]
            feeds += [(index, u, share) for u, share in zip(uids, shares, strict=True)]
    if not pairs:
        return _store(ctx, (source, stored), [], skipped)
    frame = propose(
        pd.DataFrame(pairs), pd.DataFrame(feeds, columns=["pair", "unique_id", "share"]), forecast
    )
    leaving: dict[tuple[str, str], int] = defaultdict(int)
    for (sku_id, origin, _), units in commitments.planned_transfers(ctx.session).items():
        leaving[(sku_id, origin)] += units
    spare = {
        key: b.available - leaving.get(key, 0) for key, b in balances.items() if b.available > 0
    }
    return _store(ctx, (source, stored), _rows(ctx, frame, hubs, spare, free, skipped), skipped)


def _skip(sku_id: str, warehouse_id: str, reason: str) -> dict[str, str]:
    return {"sku_id": sku_id, "warehouse_id": warehouse_id, "reason": reason}


def _supplier_cap(sku: SkuRow) -> int:
    return int(sku.daily_capacity) * max(int(sku.lead_time_days), 1)


def _pair(
    sku: SkuRow,
    warehouse_id: str,
    kind: str,
    lead: int,
    sku_class: str,
    balances: dict[tuple[str, str], Any],
    coming: dict[tuple[str, str], int],
) -> dict[str, Any]:
    b = balances.get((sku.id, warehouse_id))
    on_hand = 0 if b is None else b.on_hand + b.receiving + b.in_transit - b.reserved
    arriving = coming.get((sku.id, warehouse_id), 0)
    return {
        "sku_id": sku.id,
        "supplier_id": sku.supplier_id,
        "warehouse_id": warehouse_id,
        "kind": kind,
        "lead_days": int(lead) + PUT_AWAY_DAYS,
        "sku_class": sku_class,
        "service": SERVICE_LEVELS[sku_class],
        "position": on_hand + arriving,
        "on_order": arriving,
    }


def _free_volume(
    warehouses: list[Any], balances: dict[tuple[str, str], Any], skus: dict[str, SkuRow]
) -> dict[str, float]:
    """m³ each warehouse has free: its capacity less what its stock on hand occupies."""
    free = {w.id: float(w.capacity_m3) for w in warehouses}
    for (sku_id, warehouse_id), b in balances.items():
        sku = skus.get(sku_id)
        if warehouse_id in free and sku is not None:
            unit = sku.length_mm * sku.width_mm * sku.height_mm / 1e9
            free[warehouse_id] -= (b.on_hand + b.receiving) * unit
    return {k: max(v, 0.0) for k, v in free.items()}


def _rows(
    ctx: Context,
    frame: pd.DataFrame,
    hubs: list[Any],
    spare: dict[tuple[str, str], int],
    room: dict[str, float],
    skipped: list[dict[str, str]],
) -> list[ReplenishmentProposalRow]:
    rows = []
    room = dict(room)
    # the most urgent first: furthest below the reorder point, relative to it, then in units
    short = frame["s"] - frame["position"]
    ranked = frame.assign(urgency=short / frame["s"].clip(lower=1), short=short).sort_values(
        ["urgency", "short"], ascending=False, kind="stable"
    )
    for r in ranked.itertuples():
        if not r.has_forecast:
            skipped.append(_skip(r.sku_id, r.warehouse_id, "no forecast for its markets"))
            continue
        quantity = int(r.quantity)
        origin = None
        if r.kind == "transfer" and quantity > 0:
            origin, quantity = _origin(r.sku_id, hubs, spare, quantity, int(r.carton))
            if origin is None:
                skipped.append(
                    _skip(r.sku_id, r.warehouse_id, "no stock at a consolidation warehouse")
                )
                continue
        if quantity <= 0:
            continue
        fits = int(room[r.warehouse_id] / max(r.volume, 1e-12)) // int(r.carton) * int(r.carton)
        quantity = min(quantity, fits)
        if quantity < max(int(r.moq), 1):
            skipped.append(_skip(r.sku_id, r.warehouse_id, f"{r.warehouse_id} is full"))
            continue
        room[r.warehouse_id] -= quantity * r.volume
        rows.append(
            ReplenishmentProposalRow(
                id=new_id("rpp"),
                kind=r.kind,
                state=State.PROPOSED,
                sku_id=r.sku_id,
                warehouse_id=r.warehouse_id,
                from_warehouse_id=origin,
                supplier_id=r.supplier_id,
                quantity=quantity,
                sku_class=r.sku_class,
                evidence=_evidence(r, quantity),
                created_at=ctx.now(),
            )
        )
    return rows


def _home_hub(
    sku_id: str,
    hubs: list[Any],
    balances: dict[tuple[str, str], Any],
    coming: dict[tuple[str, str], int],
) -> str | None:
    """The one consolidation warehouse a SKU is bought into: the one holding or expecting
    the most of it, else the first by id (orders to two hubs would split one MOQ in two)."""

    def held(hub_id: str) -> int:
        b = balances.get((sku_id, hub_id))
        return (b.on_hand + b.receiving if b else 0) + max(coming.get((sku_id, hub_id), 0), 0)

    ranked = sorted(hubs, key=lambda hub: (-held(hub.id), hub.id))
    return ranked[0].id if ranked else None


def _origin(
    sku_id: str, hubs: list[Any], spare: dict[tuple[str, str], int], quantity: int, carton: int
) -> tuple[str | None, int]:
    """The consolidation warehouse with the most of the SKU to spare (available, less what
    planned transfers will take), and the whole cartons of the quantity it can send; what it
    sends is no longer spare for the next proposal."""
    best, most = None, 0
    for hub in hubs:
        if spare.get((sku_id, hub.id), 0) > most:
            best, most = hub.id, spare[(sku_id, hub.id)]
    sent = min(quantity, (most // carton) * carton)
    if best is not None:
        spare[(sku_id, best)] = most - sent
    return best, sent


def _evidence(r: Any, quantity: int) -> dict[str, Any]:
    return {
        "lead_days": int(r.lead_days),
        "service_level": float(r.service),
        "mean_demand_lead_time": round(float(r.mu), 2),
        "sigma_lead_time": round(float(r.sigma), 2),
        "safety_stock": round(float(r.safety), 2),
        "position": int(r.position),
        "on_order": int(r.on_order),
        "s": int(r.s),
        "S": int(r.S),
        "order_up_to_need": int(r.raw),
        "after_moq": int(r.at_moq),
        "after_cartons": int(r.in_cartons),
        "moq": int(r.moq),
        "carton": int(r.carton),
        "capacity_units": int(r.cap),
        "quantity": quantity,
    }


def _store(
    ctx: Context,
    forecast: tuple[str, ForecastRunRow | None],
    proposals: list[ReplenishmentProposalRow],
    skipped: list[dict[str, str]],
) -> RunResult:
    open_rows = ctx.session.scalars(
        select(ReplenishmentProposalRow).where(ReplenishmentProposalRow.state == State.PROPOSED)
    )
    for old in open_rows:
        old.state = State.SUPERSEDED
    run = ReplenishmentRunRow(
        id=new_id("rpr"),
        forecast_source=forecast[0],
        forecast_run_id=forecast[1].id if forecast[1] else None,
        proposal_count=len(proposals),
        skipped=skipped,
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(run)
    ctx.session.flush()
    for row in proposals:
        row.run_id = run.id
        ctx.session.add(row)
    ctx.session.flush()
    return RunResult(run, proposals)


def list_proposals(
    ctx: Context, *, state: str | None = State.PROPOSED, limit: int = 200, offset: int = 0
) -> Page[ReplenishmentProposalRow]:
    ctx.actor.require("replenishment.read")
    query = select(ReplenishmentProposalRow).order_by(
        ReplenishmentProposalRow.kind, ReplenishmentProposalRow.id
    )
    if state:
        query = query.where(ReplenishmentProposalRow.state == state)
    return paginate(ctx.session, query, limit, offset)


def latest_run(ctx: Context) -> ReplenishmentRunRow | None:
    ctx.actor.require("replenishment.read")
    query = select(ReplenishmentRunRow).order_by(
        ReplenishmentRunRow.created_at.desc(), ReplenishmentRunRow.id.desc()
    )
    return ctx.session.scalars(query.limit(1)).first()


@dataclass
class Approval:
    stock_up_order_ids: list[str]
    transfer_ids: list[str]


def approve(ctx: Context, ids: list[str]) -> Approval:
    """Turn the chosen proposals into stock-up orders (one per supplier and warehouse) and
    transfers (one per lane); every problem named by proposal, and nothing written unless
    all of them pass (the caller's unit of work rolls back on error)."""
    ctx.actor.require("replenishment.approve")
    rows, errors = _approvable(ctx, ids)
    if errors:
        raise ValidationFailed(errors)
    orders: dict[tuple[str, str], list[ReplenishmentProposalRow]] = defaultdict(list)
    lanes: dict[tuple[str, str], list[ReplenishmentProposalRow]] = defaultdict(list)
    for row in rows:
        if row.kind == "stock_up":
            orders[(row.supplier_id, row.warehouse_id)].append(row)
        else:
            lanes[(row.from_warehouse_id or "", row.warehouse_id)].append(row)
    made = Approval([], [])
    for (supplier_id, warehouse_id), group in sorted(orders.items()):
        order = _issue(ctx, supplier_id, warehouse_id, group)
        made.stock_up_order_ids.append(order)
    for (origin, destination), group in sorted(lanes.items()):
        made.transfer_ids.append(_plan(ctx, origin, destination, group))
    return made


def _approvable(
    ctx: Context, ids: list[str]
) -> tuple[list[ReplenishmentProposalRow], list[FieldError]]:
    if not ids:
        return [], [FieldError("ids", "choose at least one proposal")]
    if len(ids) > MAX_APPROVE:
        return [], [FieldError("ids", f"at most {MAX_APPROVE} proposals at once")]
    rows, errors = [], []
    for index, proposal_id in enumerate(dict.fromkeys(ids)):
        where = f"ids[{index}]"
        row = ctx.session.get(ReplenishmentProposalRow, proposal_id)
        if row is None:
            errors.append(FieldError(where, f"no proposal {proposal_id!r}"))
            continue
        if row.state != State.PROPOSED:
            errors.append(FieldError(where, f"proposal {proposal_id} is {row.state}"))
            continue
        product = catalog.visible_product(ctx, catalog.visible_sku(ctx, row.sku_id).product_id)
        if product.state not in ORDERABLE:
            errors.append(
                FieldError(where, f"proposal {proposal_id}: its product is {product.state}")
            )
            continue
        rows.append(row)
    return rows, errors


def _mark(ctx: Context, group: list[ReplenishmentProposalRow], document_id: str) -> None:
    for row in group:
        row.state = State.APPROVED
        row.document_id = document_id
        row.approved_by = ctx.actor.user_id
        row.approved_at = ctx.now()


def _issue(
    ctx: Context, supplier_id: str, warehouse_id: str, group: list[ReplenishmentProposalRow]
) -> str:
    lead = max(int(row.evidence.get("lead_days", PUT_AWAY_DAYS)) for row in group)
    draft = stockup.StockUpDraft(
        supplier_id=supplier_id,
        warehouse_id=warehouse_id,
        kind="planned",
        lines=[stockup.LineDraft(row.sku_id, row.quantity) for row in group],
        due_on=ctx.now().date() + _days(lead - PUT_AWAY_DAYS),
        note=f"replenishment: {', '.join(row.id for row in group)}",
    )
    order = _named(group, lambda: stockup.issue(ctx, draft))
    _mark(ctx, group, order.id)
    return order.id


def _plan(
    ctx: Context, origin: str, destination: str, group: list[ReplenishmentProposalRow]
) -> str:
    country = next(w.country_code for w in list_warehouses(ctx) if w.id == destination)
    mode = (transfers.preferred_lane(country) or (transfers.MODE_PREFERENCE[0], 0))[0]
    cartons = sum(-(-row.quantity // int(row.evidence.get("carton", 1))) for row in group)
    draft = transfers.TransferDraft(
        from_warehouse_id=origin,
        to_warehouse_id=destination,
        mode=mode,
        cartons=max(cartons, 1),
        lines=[transfers.TransferLineDraft(row.sku_id, row.quantity) for row in group],
        note=f"replenishment: {', '.join(row.id for row in group)}",
    )
    transfer = _named(group, lambda: transfers.plan(ctx, draft))
    _mark(ctx, group, transfer.id)
    return transfer.id


def _named(group: list[ReplenishmentProposalRow], make: Any) -> Any:
    """Run `make`; its refusal restated as the proposals it concerned."""
    try:
        return make()
    except (ValidationFailed, NotFound) as error:
        reasons = getattr(error, "errors", None) or [FieldError("", str(error))]
        ids = ", ".join(row.id for row in group)
        raise ValidationFailed(
            [FieldError("ids", f"proposals {ids}: {e.field} {e.message}".strip()) for e in reasons]
        ) from error


def _days(n: int) -> timedelta:
    return timedelta(days=max(n, 1))
