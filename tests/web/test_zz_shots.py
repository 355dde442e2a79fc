import re
from chuhai.catalog import listing, service
from helpers import draft, png_bytes
from chuhai.catalog.importer import template_csv

def test_shots(console, unit, world):
    with unit(world["supplier_a"]) as ctx:
        ids = []
        for n in range(4):
            p = service.create_product(ctx, draft(f"MUG-{n}", title_en=f"Ceramic mug model {n}"))
            service.add_image(ctx, p.id, png_bytes(colour=["red","blue","green","orange"][n]), "m.png")
            ids.append(p.id)
        listing.submit(ctx, ids[0]); listing.submit(ctx, ids[1])
    with unit(world["compliance"]) as ctx:
        listing.reject(ctx, ids[0], "Photos show a third-party logo; please replace them")
        listing.start_compliance_review(ctx, ids[1]); listing.pass_compliance(ctx, ids[1]); listing.pass_ip(ctx, ids[1])
    with unit(world["merchandiser"]) as ctx:
        listing.make_offer(ctx, ids[1], {s.id: "11.00" for s in service.skus_of(ctx.session, ids[1])}, "volume pricing")
    page = console("supplier-a")
    page.goto("/"); page.screenshot(path="/tmp/shots/dash.png", full_page=True)
    page.goto("/products"); page.screenshot(path="/tmp/shots/list.png", full_page=True)
    page.goto("/products/new"); page.get_by_role("button", name="Add SKU").click()
    page.fill('input[name="skus[0].supply_price"]', "12.345"); page.fill('input[name="skus[0].weight_g"]', "3.5")
    page.fill("input[name=ref]", "X-1")
    page.screenshot(path="/tmp/shots/new.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    page.screenshot(path="/tmp/shots/new_err.png", full_page=True)
    page.goto(f"/products/{ids[0]}/edit"); page.screenshot(path="/tmp/shots/edit_rej.png", full_page=True)
    page.set_input_files("input[name=image]", files=[{"name": "x.png", "mimeType": "image/png", "buffer": b"nope"}])
    page.get_by_role("button", name="Upload image").click()
    page.screenshot(path="/tmp/shots/img_err.png", full_page=True)
    page.goto(f"/products/{ids[1]}/edit"); page.screenshot(path="/tmp/shots/edit_locked.png", full_page=True)
    page.goto("/imports"); page.screenshot(path="/tmp/shots/imports.png", full_page=True)
    bad = template_csv().decode("utf-8-sig").replace("12.50", "twelve").replace(",350,", ",-1,")
    page.set_input_files("input[name=file]", files=[{"name": "c.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.get_by_role("button", name="Import").click(); page.screenshot(path="/tmp/shots/import_bad.png", full_page=True)
    page.set_input_files("input[name=file]", files=[{"name": "c.csv", "mimeType": "text/csv", "buffer": template_csv()}])
    page.get_by_role("button", name="Import").click(); page.screenshot(path="/tmp/shots/import_ok.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/products/{ids[2]}/edit"); page.screenshot(path="/tmp/shots/mobile_edit.png", full_page=True)
    op = console("merchandiser")
    op.goto("/"); op.screenshot(path="/tmp/shots/op_dash.png", full_page=True)
    op.goto("/products"); op.screenshot(path="/tmp/shots/op_list.png", full_page=True)
