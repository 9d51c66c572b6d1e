-- bench/sqlite.sh's data (SQLite), after schema.sqlite.sql and seed.sql: tenant `big` of
-- 1,000,001 rows (tenant.sh's shape: 50,000 contacts, 100,000 conversations, 800,000 messages,
-- 50,000 agent traces and its own row) and 199 small tenants t001..t199 of 100 contacts, 200
-- conversations, 1,000 messages and 50 traces each (~270,000 rows more). Subjects: contact
-- 1000000 + k * 1000 of big and contact 3000000 + (k - 4) * 2000 of a small tenant get the email
-- subject<k>@example.org (k = 1..4 big, 5..8 small), each with its conversations and messages.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO organizations (id, name, plan, legal_hold, created_at) VALUES ('big', 'Big Co', 'scale', 0, '2025-01-01T00:00:00Z');
INSERT INTO organizations (id, name, plan, legal_hold, created_at)
  SELECT printf('t%03d', j), 'Tenant ' || j, 'growth', 0, '2025-01-01T00:00:00Z' FROM (SELECT value AS j FROM generate_series(1, 199));
INSERT INTO contacts (id, org_id, email, phone, name, created_at)
  SELECT 1000000 + g, 'big', 'c' || g || '@big.example', '+4930' || (1000000 + g), 'Contact ' || g, '2026-01-01T00:00:00Z'
  FROM (SELECT value AS g FROM generate_series(1, 50000));
INSERT INTO conversations (id, org_id, contact_id, channel, language, created_at)
  SELECT 1000000 + g, 'big', 1000000 + (g % 50000) + 1, 'web', 'de', '2026-01-01T00:00:00Z'
  FROM (SELECT value AS g FROM generate_series(1, 100000));
INSERT INTO messages (id, conversation_id, sender, body, created_at)
  SELECT 1000000 + g, 1000000 + (g % 100000) + 1, 'customer', 'Hello, I would like to know where my order ' || g || ' is.', '2026-01-01T00:00:00Z'
  FROM (SELECT value AS g FROM generate_series(1, 800000));
INSERT INTO agent_traces (id, org_id, conversation_id, intent, tools_called, model, latency_ms, tokens, created_at)
  SELECT 1000000 + g, 'big', 1000000 + (g % 100000) + 1, 'order_status', '["search_orders"]', 'gpt-x', 420, 512, '2026-01-01T00:00:00Z'
  FROM (SELECT value AS g FROM generate_series(1, 50000));
-- Small tenants: contact 3000000 + g belongs to t(1 + (g - 1) / 100); its conversations and
-- messages follow it.
INSERT INTO contacts (id, org_id, email, phone, name, created_at)
  SELECT 3000000 + g, printf('t%03d', 1 + (g - 1) / 100), 'c' || g || '@small.example', '+4940' || (3000000 + g), 'Contact ' || g, '2026-01-01T00:00:00Z'
  FROM (SELECT value AS g FROM generate_series(1, 19900));
INSERT INTO conversations (id, org_id, contact_id, channel, language, created_at)
  SELECT 3000000 + g, printf('t%03d', 1 + ((g - 1) % 19900) / 100), 3000000 + (g - 1) % 19900 + 1, 'web', 'de', '2026-01-01T00:00:00Z'
  FROM (SELECT value AS g FROM generate_series(1, 39800));
INSERT INTO messages (id, conversation_id, sender, body, created_at)
  SELECT 3000000 + g, 3000000 + (g - 1) % 39800 + 1, 'bot', 'Your order ' || g || ' ships tomorrow.', '2026-01-01T00:00:00Z'
  FROM (SELECT value AS g FROM generate_series(1, 199000));
INSERT INTO agent_traces (id, org_id, conversation_id, intent, tools_called, model, latency_ms, tokens, created_at)
  SELECT 3000000 + g, c.org_id, c.id, 'order_status', '["search_orders"]', 'gpt-x', 420, 512, '2026-01-01T00:00:00Z'
  FROM (SELECT value AS g FROM generate_series(1, 9950)) JOIN conversations c ON c.id = 3000000 + (g * 4 - 1) % 39800 + 1;
UPDATE contacts SET email = 'subject' || ((id - 1000000) / 1000) || '@example.org' WHERE id IN (1001000, 1002000, 1003000, 1004000);
UPDATE contacts SET email = 'subject' || (4 + (id - 3000000) / 2000) || '@example.org' WHERE id IN (3002000, 3004000, 3006000, 3008000);
COMMIT;
ANALYZE;
