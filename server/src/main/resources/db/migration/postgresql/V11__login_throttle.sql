-- The sign-in throttle's counters, shared by every node on this database
-- (docs/design/0017-shared-login-throttle.md), so that N nodes give an attacker one budget, not N.
--
-- No username, address or e-mail is stored in clear: a username field may hold a password typed in
-- the wrong place, and addresses are personal data. Each subject is an HMAC-SHA-256 of what it
-- counts (a pair, a user or a source), keyed by login_throttle_key's secret, which is sealed with the
-- master keyset like every other secret: a copy of the database alone cannot test guesses against
-- it. Times are epoch milliseconds (UTC) on the nodes' clocks.

-- kind: 1 (user, source) pair, 2 user across sources, 3 source across users. failures is the count
-- since the counter was last forgotten (12 quiet hours by default); last_failure_at is when the last
-- one was counted; wait_until, when set, refuses attempts until then.
CREATE TABLE login_throttle_counters (
    subject          BYTEA    NOT NULL PRIMARY KEY,
    kind             SMALLINT NOT NULL CHECK (kind IN (1, 2, 3)),
    failures         INTEGER  NOT NULL CHECK (failures >= 0),
    last_failure_at  BIGINT   NOT NULL,
    wait_until       BIGINT
);

-- Pruning reads each kind oldest first: forgotten counters go, and the newest are kept when a kind
-- holds more than its bound.
CREATE INDEX login_throttle_counters_age ON login_throttle_counters (kind, last_failure_at);

-- A (user, source) pair that signed in successfully, trusted until trusted_until.
CREATE TABLE login_throttle_trust (
    pair           BYTEA  NOT NULL PRIMARY KEY,
    trusted_until  BIGINT NOT NULL
);

CREATE INDEX login_throttle_trust_until ON login_throttle_trust (trusted_until);

-- One row: the HMAC key, 32 random bytes sealed (AES-256-GCM) by the master keyset. The first node
-- to start creates it; every node reads the same one, so they all compute the same subjects.
CREATE TABLE login_throttle_key (
    id       SMALLINT NOT NULL PRIMARY KEY CHECK (id = 1),
    key_enc  BYTEA    NOT NULL
);
