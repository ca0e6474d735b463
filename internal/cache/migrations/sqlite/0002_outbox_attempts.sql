-- Exactly-once delivery needs to know, for each outbox item, when it was
-- first sent (a look-up for a write that carries no id of the portal's
-- searches from then), how many of its attempts had an unknown outcome
-- (a duplicate refusal after one means the write arrived), and what each
-- attempt read or got back (the balances an OBI call was bracketed by).
ALTER TABLE outbox ADD COLUMN first_sent_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN unknown_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_attempts ADD COLUMN result TEXT NOT NULL DEFAULT '';
