-- Accounts. The auth token is AEAD-encrypted with the account SID as associated data.
-- Times are epoch milliseconds (UTC): the same type and meaning in SQLite and PostgreSQL.
CREATE TABLE accounts (
    sid                TEXT    NOT NULL PRIMARY KEY,
    owner_account_sid  TEXT    NOT NULL REFERENCES accounts (sid),
    friendly_name      TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    type               TEXT    NOT NULL CHECK (type IN ('Full', 'Trial')),
    auth_token_enc     BLOB    NOT NULL,
    date_created       INTEGER NOT NULL,
    date_updated       INTEGER NOT NULL
);

CREATE INDEX accounts_owner ON accounts (owner_account_sid);
