-- Outcomes a business reports for click-to-WhatsApp ads (POST /api/ads/conversions), each tied to an
-- ad click (`ctwa_clid`); one given by contact is tied to that contact's latest referral when posted,
-- so no phone number is kept here. A repeated event_id replaces the earlier row.
CREATE TABLE IF NOT EXISTS {{db}}.ad_conversions_v1 {{on_cluster}}
(
    waba_id      String,
    event_id     String,
    ctwa_clid    String,
    matched_by   LowCardinality(String),    -- click | contact
    event        LowCardinality(String),
    at           DateTime64(3, 'UTC'),
    value        Nullable(Float64),
    currency     LowCardinality(String),
    posted_at    DateTime64(3, 'UTC'),
    INDEX clid_idx ctwa_clid TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{replicated:ReplacingMergeTree(posted_at)}}
ORDER BY (waba_id, event_id);

-- A click id links to a person only through the ingest tables.
ALTER TABLE {{db}}.ad_conversions_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS event_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS ctwa_clid 'pii:indirect; cat=metadata; purpose=marketing',
    COMMENT COLUMN IF EXISTS matched_by 'none; cat=technical',
    COMMENT COLUMN IF EXISTS event 'none; cat=business',
    COMMENT COLUMN IF EXISTS at 'none; cat=business',
    COMMENT COLUMN IF EXISTS value 'none; cat=business',
    COMMENT COLUMN IF EXISTS currency 'none; cat=business',
    COMMENT COLUMN IF EXISTS posted_at 'none; cat=technical';
