-- People and their credentials (issue 14): person accounts with roles, WABA scopes and a status;
-- server-side sessions; named service tokens. Each row is a version of its record (the latest
-- `updated_at` wins), so a change is an insert and the history of a record stays readable.
-- Secrets are never stored as given: passwords as scrypt hashes, session ids, service tokens and
-- recovery codes as SHA-256 digests (they are 128+ random bits, so a plain digest is enough).

CREATE TABLE IF NOT EXISTS {{db}}.users_v1 {{on_cluster}}
(
    user_id        String COMMENT 'none; cat=technical',
    email          String COMMENT 'pii:direct; cat=staff; purpose=operations',
    display_name   String COMMENT 'pii:direct; cat=staff; purpose=operations',
    roles          Array(LowCardinality(String)) COMMENT 'pii:indirect; cat=staff; purpose=operations',
    all_wabas      Bool COMMENT 'none; cat=technical',
    wabas          Array(String) COMMENT 'none; cat=business',
    status         LowCardinality(String) COMMENT 'pii:indirect; cat=staff; purpose=operations',
    password_hash  String COMMENT 'none; cat=technical; protection=scrypt',
    totp_secret    String COMMENT 'none; cat=technical',
    totp_enrolled  Bool COMMENT 'none; cat=technical',
    recovery_codes Array(String) COMMENT 'none; cat=technical; protection=sha256',
    oidc_subject   String COMMENT 'pii:indirect; cat=staff; purpose=operations',
    created_at     DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=staff; purpose=operations',
    updated_at     DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at)}}
ORDER BY user_id;

CREATE TABLE IF NOT EXISTS {{db}}.sessions_v1 {{on_cluster}}
(
    id_hash      String COMMENT 'none; cat=technical; protection=sha256',
    user_id      String COMMENT 'pii:indirect; cat=staff; purpose=operations',
    method       LowCardinality(String) COMMENT 'none; cat=technical',
    mfa          Bool COMMENT 'none; cat=technical',
    created_at   DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=staff; purpose=operations',
    last_seen_at DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=staff; purpose=operations',
    expires_at   DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    revoked      Bool COMMENT 'none; cat=technical',
    updated_at   DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at)}}
ORDER BY id_hash
TTL toDateTime(expires_at) + INTERVAL 30 DAY DELETE;

CREATE TABLE IF NOT EXISTS {{db}}.service_tokens_v1 {{on_cluster}}
(
    token_id    String COMMENT 'none; cat=technical',
    name        String COMMENT 'none; cat=technical',
    token_hash  String COMMENT 'none; cat=technical; protection=sha256',
    roles       Array(LowCardinality(String)) COMMENT 'none; cat=technical',
    all_wabas   Bool COMMENT 'none; cat=technical',
    wabas       Array(String) COMMENT 'none; cat=business',
    expires_at  DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    revoked     Bool COMMENT 'none; cat=technical',
    created_by  String COMMENT 'pii:indirect; cat=staff; purpose=operations',
    created_at  DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    updated_at  DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at)}}
ORDER BY token_id
