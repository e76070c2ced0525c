-- The template catalogue as a saved Graph API `message_templates` response gives it (names,
-- languages, categories, status, quality), for templates the webhooks say nothing about. A later
-- import of the same template replaces it.
CREATE TABLE IF NOT EXISTS {{db}}.template_catalog_v1 {{on_cluster}}
(
    waba_id          String,
    template_id      String,
    name             String,
    language         LowCardinality(String),
    category         LowCardinality(String),
    status           LowCardinality(String),
    quality          LowCardinality(String),
    rejected_reason  String,
    import_id        String,                    -- SHA-256 of the imported file
    imported_at      DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(imported_at)}}
ORDER BY (waba_id, name, language);

ALTER TABLE {{db}}.template_catalog_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS template_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS name 'none; cat=business',
    COMMENT COLUMN IF EXISTS language 'none; cat=business',
    COMMENT COLUMN IF EXISTS category 'none; cat=business',
    COMMENT COLUMN IF EXISTS status 'none; cat=business',
    COMMENT COLUMN IF EXISTS quality 'none; cat=business',
    COMMENT COLUMN IF EXISTS rejected_reason 'none; cat=business',
    COMMENT COLUMN IF EXISTS import_id 'none; cat=technical',
    COMMENT COLUMN IF EXISTS imported_at 'none; cat=technical';
