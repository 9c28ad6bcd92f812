-- API keys. The secret is AEAD-encrypted with the key SID as associated data.
-- Listing pages by (account_sid, date_created, sid), hence the index.
CREATE TABLE api_keys (
    sid            TEXT    NOT NULL PRIMARY KEY,
    account_sid    TEXT    NOT NULL REFERENCES accounts (sid),
    friendly_name  TEXT,
    type           TEXT    NOT NULL CHECK (type IN ('standard', 'main', 'restricted')),
    policy         TEXT,
    secret_enc     BLOB    NOT NULL,
    date_created   INTEGER NOT NULL,
    date_updated   INTEGER NOT NULL
);

CREATE INDEX api_keys_account_order ON api_keys (account_sid, date_created, sid);
