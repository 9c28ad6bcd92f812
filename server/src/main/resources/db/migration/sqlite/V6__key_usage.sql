-- API-key usage (docs/design/0012-key-usage.md): what each key did per UTC day, added up in memory
-- and written in batches. Rows go with their key. day counts days since 1970-01-01 (UTC); times are
-- epoch milliseconds.

-- Requests per key and day, and whether that day's alert of each kind has been raised (0 or 1), so
-- that each is raised at most once per key and day, across restarts and nodes.
CREATE TABLE key_usage_days (
    key_sid            TEXT    NOT NULL REFERENCES api_keys (sid) ON DELETE CASCADE,
    day                BIGINT  NOT NULL,
    requests           BIGINT  NOT NULL,
    new_address_alert  INTEGER NOT NULL DEFAULT 0,
    volume_alert       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_sid, day)
);

-- Requests per key, source address and day, with the first and last request's times that day.
CREATE TABLE key_usage_addresses (
    key_sid     TEXT    NOT NULL REFERENCES api_keys (sid) ON DELETE CASCADE,
    ip_address  TEXT    NOT NULL,
    day         BIGINT  NOT NULL,
    requests    BIGINT  NOT NULL,
    first_seen  BIGINT  NOT NULL,
    last_seen   BIGINT  NOT NULL,
    PRIMARY KEY (key_sid, ip_address, day)
);

CREATE INDEX key_usage_addresses_last_seen ON key_usage_addresses (key_sid, last_seen);

-- Permission checks passed per key, permission (policy name, or a Callsign name for those no policy
-- grants) and day, with the last one's time.
CREATE TABLE key_usage_permissions (
    key_sid     TEXT    NOT NULL REFERENCES api_keys (sid) ON DELETE CASCADE,
    permission  TEXT    NOT NULL,
    day         BIGINT  NOT NULL,
    requests    BIGINT  NOT NULL,
    last_used   BIGINT  NOT NULL,
    PRIMARY KEY (key_sid, permission, day)
);
