-- Privacy and retention compliance: legal holds, erasure proof and suppression, consent ledger,
-- rights-request register, report snapshots and audit-chain anchors. Every column carries its
-- personal-data classification (see reports/compliance/classification.ts); raw phone numbers appear
-- only where a person's own record needs them (consent ledger) or a hold must match them.

-- Legal holds (R4): keep a subject's rows despite retention and refuse their erasure.
CREATE TABLE IF NOT EXISTS {{db}}.legal_holds_v1 {{on_cluster}}
(
    hold_id         String COMMENT 'none; cat=technical',
    subject_hash    String COMMENT 'pii:indirect; cat=identifier; purpose=compliance; protection=hmac',
    subject_ids     Array(String) COMMENT 'pii:direct; cat=identifier; purpose=compliance; find=none',
    reason          String COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    legal_reference String COMMENT 'none; cat=business',
    approved_by     String COMMENT 'pii:indirect; cat=staff; purpose=compliance',
    start_at        DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    review_at       Nullable(DateTime64(3, 'UTC')) COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    released_at     Nullable(DateTime64(3, 'UTC')) COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    released_by     String COMMENT 'pii:indirect; cat=staff; purpose=compliance',
    status          LowCardinality(String) COMMENT 'none; cat=technical',
    updated_at      DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at)}}
ORDER BY hold_id;

-- The ids under an active hold, looked up by the retention TTLs (joinGet) so held rows outlive them.
-- Rebuilt from legal_holds_v1 whenever a hold is placed or released.
CREATE TABLE IF NOT EXISTS {{db}}.legal_hold_subjects_v1 {{on_cluster}}
(
    id      String COMMENT 'pii:direct; cat=identifier; purpose=compliance; find=none',
    hold_id String COMMENT 'none; cat=technical'
)
ENGINE = Join(ANY, LEFT, id);

-- Erased subjects, as keyed hashes: ingest drops their items from re-delivered bodies.
CREATE TABLE IF NOT EXISTS {{db}}.erasure_suppression_v1 {{on_cluster}}
(
    subject_hash String COMMENT 'pii:indirect; cat=identifier; purpose=compliance; protection=hmac',
    request_id   String COMMENT 'none; cat=technical',
    added_at     DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(added_at)}}
ORDER BY subject_hash;

-- Erasure requests with their per-table evidence and receipt (R7).
CREATE TABLE IF NOT EXISTS {{db}}.erasure_requests_v1 {{on_cluster}}
(
    request_id     String COMMENT 'none; cat=technical',
    subject_hash   String COMMENT 'pii:indirect; cat=identifier; purpose=compliance; protection=hmac',
    jurisdiction   LowCardinality(String) COMMENT 'none; cat=technical',
    legal_ground   String COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    requested_by   String COMMENT 'pii:indirect; cat=staff; purpose=compliance',
    received_at    DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    completed_at   Nullable(DateTime64(3, 'UTC')) COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    status         LowCardinality(String) COMMENT 'none; cat=technical',
    hold_ids       Array(String) COMMENT 'none; cat=technical',
    tables_json    String COMMENT 'none; cat=technical',
    receipt_json   String COMMENT 'pii:indirect; cat=metadata; purpose=compliance; protection=hmac',
    receipt_sha256 String COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:MergeTree}}
ORDER BY (received_at, request_id);

-- Consent ledger (R9): opt-ins and opt-outs recorded by the business's own systems. Append-only;
-- keyword, user_preferences and error-131050 signals are read from the item tables at report time.
CREATE TABLE IF NOT EXISTS {{db}}.consent_events_v1 {{on_cluster}}
(
    consent_event_id    String COMMENT 'none; cat=technical',
    wa_id               String COMMENT 'pii:direct; cat=identifier; purpose=marketing',
    subject_hash        String COMMENT 'pii:indirect; cat=identifier; purpose=marketing; protection=hmac',
    waba_id             String COMMENT 'none; cat=business',
    phone_number_id     String COMMENT 'none; cat=business',
    scope_category      LowCardinality(String) COMMENT 'pii:indirect; cat=consent; purpose=marketing',
    action              LowCardinality(String) COMMENT 'pii:indirect; cat=consent; purpose=marketing',
    source_channel      LowCardinality(String) COMMENT 'pii:indirect; cat=consent; purpose=marketing',
    captured_at         DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=consent; purpose=marketing',
    effective_at        DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=consent; purpose=marketing',
    recorded_at         DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=marketing',
    notice_text_version String COMMENT 'none; cat=business',
    notice_text_sha256  String COMMENT 'none; cat=business',
    language            LowCardinality(String) COMMENT 'pii:indirect; cat=consent; purpose=marketing',
    proof_ref           String COMMENT 'pii:indirect; cat=consent; purpose=marketing',
    collected_by        String COMMENT 'pii:indirect; cat=staff; purpose=marketing',
    legal_basis         String COMMENT 'none; cat=business',
    jurisdiction        LowCardinality(String) COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:MergeTree}}
ORDER BY (wa_id, captured_at, consent_event_id);

-- Rights-request register (R14): one row per request, a newer version per status change.
CREATE TABLE IF NOT EXISTS {{db}}.rights_requests_v1 {{on_cluster}}
(
    request_id            String COMMENT 'none; cat=technical',
    type                  LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    jurisdiction          LowCardinality(String) COMMENT 'none; cat=technical',
    subject_hash          String COMMENT 'pii:indirect; cat=identifier; purpose=compliance; protection=hmac',
    received_at           DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    identity_verified_at  Nullable(DateTime64(3, 'UTC')) COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    simplified_reply_at   Nullable(DateTime64(3, 'UTC')) COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    due_at                DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    extended              Bool COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    extension_reason      String COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    extension_notified_at Nullable(DateTime64(3, 'UTC')) COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    status                LowCardinality(String) COMMENT 'none; cat=technical',
    completed_at          Nullable(DateTime64(3, 'UTC')) COMMENT 'pii:indirect; cat=metadata; purpose=compliance',
    outcome_ref           String COMMENT 'none; cat=technical',
    handled_by            String COMMENT 'pii:indirect; cat=staff; purpose=compliance',
    updated_at            DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at)}}
ORDER BY request_id;

-- Nightly compliance snapshots: each report's rows as JSON with their SHA-256 (no raw identifiers).
CREATE TABLE IF NOT EXISTS {{db}}.compliance_snapshots_v1 {{on_cluster}}
(
    snapshot_id String COMMENT 'none; cat=technical',
    taken_at    DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    report      LowCardinality(String) COMMENT 'none; cat=technical',
    rows        UInt64 COMMENT 'none; cat=technical',
    sha256      String COMMENT 'none; cat=technical',
    content     String COMMENT 'pii:indirect; cat=metadata; purpose=compliance; protection=hmac' CODEC(ZSTD(3))
)
ENGINE = {{replicated:MergeTree}}
ORDER BY (report, taken_at);

-- Published heads of the access-audit chain: removing the latest entries no longer goes unnoticed.
CREATE TABLE IF NOT EXISTS {{db}}.audit_anchors_v1 {{on_cluster}}
(
    anchored_at DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    seq         UInt64 COMMENT 'none; cat=technical',
    entry_hash  String COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:MergeTree}}
ORDER BY (seq, anchored_at);

-- Results of audit-chain verification runs (R16).
CREATE TABLE IF NOT EXISTS {{db}}.audit_verifications_v1 {{on_cluster}}
(
    verified_at      DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    verified_by      String COMMENT 'pii:indirect; cat=staff; purpose=compliance',
    entries_checked  UInt64 COMMENT 'none; cat=technical',
    to_seq           UInt64 COMMENT 'none; cat=technical',
    head_hash        String COMMENT 'none; cat=technical',
    anchors_checked  UInt32 COMMENT 'none; cat=technical',
    anchored_seq     Nullable(UInt64) COMMENT 'none; cat=technical',
    anchored_hash    String COMMENT 'none; cat=technical',
    result           LowCardinality(String) COMMENT 'none; cat=technical',
    first_break_seq  Nullable(UInt64) COMMENT 'none; cat=technical',
    reason           String COMMENT 'none; cat=technical',
    verifier_version String COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:MergeTree}}
ORDER BY verified_at;
