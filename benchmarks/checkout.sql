-- pgbench script: the writes one chuhai checkout makes (see benchmarks/checkout.py), as
-- plain SQL. Filled in by the benchmark: {{n}} the number of SKUs, {{skus}} their ids in order,
-- {{warehouse}} the warehouse. Three different SKUs per order, reserved in SKU order.
\set a random(0, {n} - 1)
\set d1 random(1, {n} / 2 - 1)
\set d2 random({n} / 2, {n} - 1)
\set b (:a + :d1) % {n}
\set c (:a + :d2) % {n}
\set s1 least(:a, :b, :c) + 1
\set s3 greatest(:a, :b, :c) + 1
\set s2 :a + :b + :c + 3 - :s1 - :s3
SELECT 'ord_' || md5(random()::text) AS oid, 'idk_' || md5(random()::text) AS idk, 'CH-' || upper(substr(md5(random()::text), 1, 8)) AS num, 'auth_' || md5(random()::text) AS auth, 'cap_' || md5(random()::text) AS cap, (ARRAY[{skus}])[:s1::int] AS k1, (ARRAY[{skus}])[:s2::int] AS k2, (ARRAY[{skus}])[:s3::int] AS k3 \gset
INSERT INTO sandbox_payments (id, idempotency_key, operation, parent_id, status, amount, currency, card_last4, decline_code, message, reference, created_at) VALUES (:auth::text, :oid::text || ':' || 'authorise', 'authorise', NULL, 'approved', 5397, 'EUR', '4242', '', '', :num::text, now());
BEGIN;
INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, status_code, response_body, created_at) VALUES (:idk::text, 'storefront', 'checkout' || ':' || 'DE' || ':' || md5(random()::text), 'POST', '/api/v1/storefront/DE/checkout', md5(random()::text), 0, '', now());
INSERT INTO orders (id, number, market_code, currency, state, customer_id, email, ship_to, route, terms, regime, goods, duty, vat, total, due_on_delivery, refunded, fx_rate, fx_on, placed_by, placed_at, updated_at, version) VALUES (:oid::text, :num::text, 'DE', 'EUR', 'placed', NULL, 'buyer@example.com', '{{"name": "Erika Mustermann", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country_code": "DE"}}', '9610', 'DDP', 'low value: VAT collected at checkout', 4536, 0, 861, 5397, 0, 0, '0.13', '2026-11-28', 'storefront', now(), now(), 1);
INSERT INTO order_lines (id, order_id, sku_id, quantity, unit_price, unit_net, unit_duty, unit_vat, line_total, returned) VALUES ('orl_' || md5(random()::text), :oid::text, :k1::text, 1, 1799, 1512, 0, 287, 1799, 0);
INSERT INTO order_lines (id, order_id, sku_id, quantity, unit_price, unit_net, unit_duty, unit_vat, line_total, returned) VALUES ('orl_' || md5(random()::text), :oid::text, :k2::text, 1, 1799, 1512, 0, 287, 1799, 0);
INSERT INTO order_lines (id, order_id, sku_id, quantity, unit_price, unit_net, unit_duty, unit_vat, line_total, returned) VALUES ('orl_' || md5(random()::text), :oid::text, :k3::text, 1, 1799, 1512, 0, 287, 1799, 0);
INSERT INTO order_history (id, order_id, action, from_state, to_state, actor_id, reason, at) VALUES ('ohe_' || md5(random()::text), :oid::text, 'place', NULL, 'placed', 'storefront', '3 units', now());
INSERT INTO stock_balances (sku_id, warehouse_id, receiving, on_hand, reserved, picked, in_transit, updated_at) VALUES (:k1::text, '{warehouse}', 0, 0, 0, 0, 0, now()) ON CONFLICT DO NOTHING;
UPDATE stock_balances SET reserved = reserved + 1, updated_at = now() WHERE sku_id = :k1::text AND warehouse_id = '{warehouse}' AND on_hand - reserved >= 1;
INSERT INTO stock_ledger (sku_id, warehouse_id, kind, quantity, d_receiving, d_on_hand, d_reserved, d_picked, d_in_transit, document_type, document_id, reason, actor_id, at) VALUES (:k1::text, '{warehouse}', 'reserve', 1, 0, 0, 1, 0, 0, 'order', :oid::text, 'order', 'storefront', now());
INSERT INTO stock_balances (sku_id, warehouse_id, receiving, on_hand, reserved, picked, in_transit, updated_at) VALUES (:k2::text, '{warehouse}', 0, 0, 0, 0, 0, now()) ON CONFLICT DO NOTHING;
UPDATE stock_balances SET reserved = reserved + 1, updated_at = now() WHERE sku_id = :k2::text AND warehouse_id = '{warehouse}' AND on_hand - reserved >= 1;
INSERT INTO stock_ledger (sku_id, warehouse_id, kind, quantity, d_receiving, d_on_hand, d_reserved, d_picked, d_in_transit, document_type, document_id, reason, actor_id, at) VALUES (:k2::text, '{warehouse}', 'reserve', 1, 0, 0, 1, 0, 0, 'order', :oid::text, 'order', 'storefront', now());
INSERT INTO stock_balances (sku_id, warehouse_id, receiving, on_hand, reserved, picked, in_transit, updated_at) VALUES (:k3::text, '{warehouse}', 0, 0, 0, 0, 0, now()) ON CONFLICT DO NOTHING;
UPDATE stock_balances SET reserved = reserved + 1, updated_at = now() WHERE sku_id = :k3::text AND warehouse_id = '{warehouse}' AND on_hand - reserved >= 1;
INSERT INTO stock_ledger (sku_id, warehouse_id, kind, quantity, d_receiving, d_on_hand, d_reserved, d_picked, d_in_transit, document_type, document_id, reason, actor_id, at) VALUES (:k3::text, '{warehouse}', 'reserve', 1, 0, 0, 1, 0, 0, 'order', :oid::text, 'order', 'storefront', now());
INSERT INTO allocations (id, order_id, sku_id, warehouse_id, quantity, route, strategy, reason, scores, state, created_at) VALUES ('alc_' || md5(random()::text), :oid::text, :k1::text, '{warehouse}', 1, '9810', 'fastest', 'has all 3 units', '{{}}', 'reserved', now());
INSERT INTO allocations (id, order_id, sku_id, warehouse_id, quantity, route, strategy, reason, scores, state, created_at) VALUES ('alc_' || md5(random()::text), :oid::text, :k2::text, '{warehouse}', 1, '9810', 'fastest', 'has all 3 units', '{{}}', 'reserved', now());
INSERT INTO allocations (id, order_id, sku_id, warehouse_id, quantity, route, strategy, reason, scores, state, created_at) VALUES ('alc_' || md5(random()::text), :oid::text, :k3::text, '{warehouse}', 1, '9810', 'fastest', 'has all 3 units', '{{}}', 'reserved', now());
INSERT INTO sandbox_payments (id, idempotency_key, operation, parent_id, status, amount, currency, card_last4, decline_code, message, reference, created_at) VALUES (:cap::text, :oid::text || ':' || 'capture', 'capture', :auth::text, 'approved', 5397, 'EUR', '4242', '', '', '', now());
INSERT INTO payments (id, order_id, provider, provider_ref, amount, currency, state, card_last4, error, created_at, updated_at) VALUES ('pay_' || md5(random()::text), :oid::text, 'sandbox', :cap::text, 5397, 'EUR', 'captured', '4242', '', now(), now());
UPDATE orders SET state = 'allocated', updated_at = now(), version = version + 1 WHERE id = :oid::text;
INSERT INTO order_history (id, order_id, action, from_state, to_state, actor_id, reason, at) VALUES ('ohe_' || md5(random()::text), :oid::text, 'pay', 'placed', 'paid', 'storefront', 'captured', now());
INSERT INTO order_history (id, order_id, action, from_state, to_state, actor_id, reason, at) VALUES ('ohe_' || md5(random()::text), :oid::text, 'allocate', 'paid', 'allocated', 'storefront', 'has all 3 units', now());
UPDATE idempotency_keys SET status_code = 201, response_body = '{{"number": "CH-"}}' WHERE id = :idk::text;
COMMIT;
