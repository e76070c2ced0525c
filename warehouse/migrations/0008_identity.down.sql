-- Undoes 0008_identity: people, sessions and service tokens go (API_TOKENS still signs in).
DROP TABLE IF EXISTS {{db}}.service_tokens_v1 {{on_cluster}};
DROP TABLE IF EXISTS {{db}}.sessions_v1 {{on_cluster}};
DROP TABLE IF EXISTS {{db}}.users_v1 {{on_cluster}}
