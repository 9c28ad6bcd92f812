-- API keys. The secret is AEAD-encrypted with the key SID as associated data.
-- Listing pages by (account_sid, date_created, sid), hence the index.
CREATE TABLE api_keys (
    sid            VARCHAR(34)  NOT NULL PRIMARY KEY,
    account_sid    VARCHAR(34)  NOT NULL REFERENCES accounts (sid),
    friendly_name  VARCHAR(64),
    type           VARCHAR(16)  NOT NULL CHECK (type IN ('standard', 'main', 'restricted')),
    policy         TEXT,
    secret_enc     BYTEA        NOT NULL,
    date_created   BIGINT       NOT NULL,
    date_updated   BIGINT       NOT NULL
);

CREATE INDEX api_keys_account_order ON api_keys (account_sid, date_created, sid);
