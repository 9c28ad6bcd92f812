-- The streaming sink's progress (docs/design/0014-audit-sink.md): one row. delivered_seq is the last
-- event the sink's receiver acknowledged; while a sink is configured (url not null) retention never
-- prunes past it. The lease names the node delivering, so that in a cluster only one does.
CREATE TABLE audit_sink (
    id             INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    url            TEXT,
    delivered_seq  BIGINT  NOT NULL,
    lease_owner    TEXT,
    lease_until    BIGINT  NOT NULL
);

INSERT INTO audit_sink (id, url, delivered_seq, lease_owner, lease_until) VALUES (1, NULL, 0, NULL, 0);
