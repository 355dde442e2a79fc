import logging
from chuhai.catalog import service
from helpers import draft, sku, png_bytes

def test_probe(unit, world, caplog):
    with unit(world["supplier_a"]) as ctx:
        p = service.create_product(ctx, draft("MUG-350"))
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    with unit(world["supplier_a"]) as ctx:
        d = draft("MUG-350")
        d.skus = [d.skus[1]]
        try:
            service.update_product(ctx, p.id, d)
        finally:
            for r in caplog.records:
                if r.name.startswith("sqlalchemy") and ("DELETE" in r.getMessage() or "UPDATE" in r.getMessage() or "INSERT" in r.getMessage()):
                    print("SQL", r.getMessage()[:150])
