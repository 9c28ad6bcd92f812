-- Accounts. The auth token is AEAD-encrypted with the account SID as associated data.
-- Times are epoch milliseconds (UTC): the same type and meaning in SQLite and PostgreSQL.
CREATE TABLE accounts (
    sid                VARCHAR(34)  NOT NULL PRIMARY KEY,
    owner_account_sid  VARCHAR(34)  NOT NULL REFERENCES accounts (sid),
    friendly_name      VARCHAR(64)  NOT NULL,
    status             VARCHAR(16)  NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    type               VARCHAR(8)   NOT NULL CHECK (type IN ('Full', 'Trial')),
    auth_token_enc     BYTEA        NOT NULL,
    date_created       BIGINT       NOT NULL,
    date_updated       BIGINT       NOT NULL
);

CREATE INDEX accounts_owner ON accounts (owner_account_sid);
