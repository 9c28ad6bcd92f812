-- The audit trail: append-only, one hash chain over all events in seq order. Each event's hash is
-- SHA-256 over its predecessor's hash and its own canonical content (docs/design/0010-audit.md).
-- Times are epoch milliseconds (UTC).
CREATE TABLE audit_events (
    seq                BIGINT  NOT NULL PRIMARY KEY,
    sid                TEXT    NOT NULL UNIQUE,
    account_sid        TEXT    NOT NULL,
    actor_sid          TEXT,
    actor_type         TEXT    NOT NULL,
    event_type         TEXT    NOT NULL,
    resource_sid       TEXT,
    resource_type      TEXT,
    source             TEXT    NOT NULL,
    source_ip_address  TEXT,
    user_agent         TEXT,
    event_date         BIGINT  NOT NULL,
    description        TEXT    NOT NULL,
    event_data         TEXT    NOT NULL,
    prev_hash          TEXT    NOT NULL,
    hash               TEXT    NOT NULL
);

CREATE INDEX audit_events_account_date ON audit_events (account_sid, event_date, seq);

-- One row: the chain's head (the last event's seq and hash), locked by every append so that events
-- are chained one after another, and the anchor that retention pruning leaves (the hash the first
-- remaining event follows).
CREATE TABLE audit_chain (
    id           INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    head_seq     BIGINT  NOT NULL,
    head_hash    TEXT    NOT NULL,
    anchor_seq   BIGINT  NOT NULL,
    anchor_hash  TEXT    NOT NULL
);

INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0,
        '0000000000000000000000000000000000000000000000000000000000000000');
