-- What Meta charged for each template send, stored with the send (from the message's billing fact,
-- which names it by its keyed substitute `message_key`): the templates report sums one table instead
-- of joining every priced send of the range to the facts on each read (about 1 s at 10 M events).
-- Set when a send is written (reports/templates/sends.ts) and again when its fact is written
-- (reports/billing/facts-job.ts); for the sends stored before this migration, once by the sends job
-- or the first report (the `templates.send_charges` mark). `charged`: the fact counts the message.
ALTER TABLE {{db}}.template_sends_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS charged UInt8 DEFAULT 0 COMMENT 'none; cat=technical',
    ADD COLUMN IF NOT EXISTS charge_category LowCardinality(String) DEFAULT '' COMMENT 'none; cat=business; find=none',
    ADD COLUMN IF NOT EXISTS charge_day Date DEFAULT toDate(0) COMMENT 'pii:indirect; cat=metadata; purpose=billing',
    ADD COLUMN IF NOT EXISTS charge_market LowCardinality(String) DEFAULT '' COMMENT 'none; cat=business; find=none',
    ADD COLUMN IF NOT EXISTS charge_billable UInt8 DEFAULT 0 COMMENT 'none; cat=technical';

-- A fact names its send by the keyed substitute only: the index narrows that lookup to a few granules.
ALTER TABLE {{db}}.template_sends_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS key_idx message_key TYPE bloom_filter(0.01) GRANULARITY 4;

ALTER TABLE {{db}}.template_sends_v1 {{on_cluster}} MATERIALIZE INDEX key_idx
