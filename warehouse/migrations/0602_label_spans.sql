-- The label set in force for each customer over time, held in memory for lookups by time: one range
-- per stretch of time in which a customer's labels do not change, with the set's id (a hash of its
-- sorted labels) and the labels. Ranges come from label_events_v1 as warehouse/queries/labels/intervals.ts
-- reads them (an `add` holds until the label's next event for the same customer and WABA scope). A
-- WABA's key holds that WABA's labels and the labels without a WABA; the key of WABA '' holds only
-- the latter (for customers with no label of their own in a WABA). Duplicate events (not yet merged)
-- make empty ranges and drop out, so the source needs no FINAL. Reloaded after every change of the
-- label events (reports/labels/refresh.ts); in memory only, so an erased customer's labels are gone
-- from it once it reloads. On a cluster it reads the Distributed table and lives on every node; the
-- other nodes (and other services on one server) see a change within a minute: every 30–60 s the
-- engine checks the label events' count and latest write and loads again when they moved.
CREATE DICTIONARY IF NOT EXISTS {{main_db}}.label_spans_v1 {{on_cluster}}
(
    key        UInt64,
    valid_from DateTime64(3, 'UTC'),
    valid_to   DateTime64(3, 'UTC'),
    set_id     UInt64,
    labels     Array(String)
)
PRIMARY KEY key
SOURCE(CLICKHOUSE(QUERY '
SELECT cityHash64(waba_id, wa_id) AS key, span.1 AS valid_from, span.2 - toIntervalMillisecond(1) AS valid_to,
  arraySort(arrayDistinct(arrayFilter((l, f, t) -> f <= span.1 AND t >= span.2, ls, fs, ts))) AS labels, cityHash64(labels) AS set_id
FROM (
  SELECT waba_id, wa_id, groupArray(label) AS ls, groupArray(valid_from) AS fs, groupArray(valid_to) AS ts,
    arraySort(arrayDistinct(arrayConcat(fs, ts))) AS points
  FROM (
    SELECT k.waba_id AS waba_id, r.wa_id AS wa_id, r.label AS label, r.valid_from AS valid_from, r.valid_to AS valid_to
    FROM (
      SELECT waba_id, wa_id, label, at AS valid_from, valid_to FROM (
        SELECT waba_id, wa_id, label, action, at,
          leadInFrame(at, 1, toDateTime64(\'2200-01-01 00:00:00\', 3, \'UTC\'))
            OVER (PARTITION BY waba_id, wa_id, label ORDER BY at, action ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS valid_to
        FROM {{main_db}}.label_events_v1
      ) WHERE action = \'add\' AND valid_to > valid_from
    ) AS r
    INNER JOIN (SELECT DISTINCT waba_id, wa_id FROM {{main_db}}.label_events_v1) AS k ON k.wa_id = r.wa_id
    WHERE r.waba_id = \'\' OR r.waba_id = k.waba_id
  )
  GROUP BY waba_id, wa_id
)
ARRAY JOIN arrayMap(i -> (points[i], points[i + 1]), range(1, length(points))) AS span
WHERE notEmpty(labels)
' INVALIDATE_QUERY 'SELECT count(), max(recorded_at) FROM {{main_db}}.label_events_v1'))
LIFETIME(MIN 30 MAX 60)
LAYOUT(RANGE_HASHED(range_lookup_strategy 'max'))
RANGE(MIN valid_from MAX valid_to);

-- The label set each wait was under when it started (0: none), computed as its row is written, so a
-- label filter or grouping reads one number per wait. Rows written before a label change that
-- reaches back over them are written again by the refresh (reports/labels/refresh.ts).
ALTER TABLE {{db}}.sla_waits_v1 {{on_cluster}} ADD COLUMN IF NOT EXISTS label_set UInt64 MATERIALIZED
  dictGetOrDefault('{{main_db}}.label_spans_v1', 'set_id', cityHash64(waba_id, wa_id), started_at,
    dictGetOrDefault('{{main_db}}.label_spans_v1', 'set_id', cityHash64('', wa_id), started_at, toUInt64(0)))
  COMMENT 'pii:indirect; cat=metadata; purpose=support';

ALTER TABLE {{db}}.sla_waits_v1 {{on_cluster}} MATERIALIZE COLUMN label_set
