-- The label set in force on each charged message's customer at its charge time (0: none; the ids of
-- the dictionary label_spans_v1, migration 0602), so charges by label read one number per message
-- fact instead of finding its customer among every message's. Set when a fact is written
-- (reports/billing/facts-job.ts), written again when a label change reaches back over it
-- (reports/labels/refresh.ts) and cleared when its customer is erased; filled for the stored facts
-- once at start (reports/billing/rekey.ts). An id names a combination of labels, not a person.
ALTER TABLE {{db}}.billing_messages_v1 {{on_cluster}} ADD COLUMN IF NOT EXISTS label_set UInt64 DEFAULT 0
  COMMENT 'pii:indirect; cat=metadata; purpose=billing; find=none'
