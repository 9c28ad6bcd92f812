-- Flex: one instance per account (created in the account's transaction), its users, its custom
-- roles and the revoked Flex tokens. The per-instance token key is AEAD-encrypted with the
-- instance SID as associated data. Times are epoch milliseconds (UTC).
CREATE TABLE flex_instances (
    sid                   VARCHAR(34)  NOT NULL PRIMARY KEY,
    account_sid           TEXT         NOT NULL UNIQUE REFERENCES accounts (sid),
    workspace_sid         TEXT         NOT NULL,
    token_key_enc         BYTEA        NOT NULL,
    token_ttl             BIGINT       NOT NULL,
    token_server_key_sid  TEXT,
    date_created          BIGINT       NOT NULL,
    date_updated          BIGINT       NOT NULL
);

-- Roles other than the built-in ones, and built-in ones whose grants were configured.
CREATE TABLE flex_roles (
    instance_sid          TEXT         NOT NULL REFERENCES flex_instances (sid),
    name                  TEXT         NOT NULL,
    permissions           TEXT         NOT NULL,
    grants                TEXT         NOT NULL,
    date_created          BIGINT       NOT NULL,
    date_updated          BIGINT       NOT NULL,
    PRIMARY KEY (instance_sid, name)
);

-- username_key is the username in NFC, lower-cased: one user per spelling, case aside.
-- A deactivated user (deactivated_date set) keeps its row; token_generation only ever grows, and a
-- Flex token is valid only while it carries the user's current generation.
CREATE TABLE flex_users (
    sid                   VARCHAR(34)  NOT NULL PRIMARY KEY,
    instance_sid          TEXT         NOT NULL REFERENCES flex_instances (sid),
    username              TEXT         NOT NULL,
    username_key          TEXT         NOT NULL,
    email                 TEXT         NOT NULL,
    full_name             TEXT         NOT NULL,
    locale                TEXT,
    roles                 TEXT         NOT NULL,
    worker_sid            TEXT,
    worker_attributes     TEXT         NOT NULL,
    password_hash         TEXT,
    deactivated_date      BIGINT,
    token_generation      BIGINT       NOT NULL,
    version               BIGINT       NOT NULL,
    date_created          BIGINT       NOT NULL,
    date_updated          BIGINT       NOT NULL,
    UNIQUE (instance_sid, username_key)
);

-- Flex tokens revoked one by one (logout), kept until they would have expired anyway.
CREATE TABLE flex_revoked_tokens (
    token_id              TEXT         NOT NULL PRIMARY KEY,
    instance_sid          TEXT         NOT NULL REFERENCES flex_instances (sid),
    expires_at            BIGINT       NOT NULL
);

CREATE INDEX flex_revoked_tokens_expiry ON flex_revoked_tokens (expires_at);
