-- Cross-node cache invalidation (docs/design/0016-cluster-invalidation.md).
--
-- Every change to a row that a node caches (accounts, API keys, Flex users, Flex roles, Flex token
-- revocations) is logged here and announced with pg_notify on the channel callsign_changes, by a
-- trigger, in the transaction that makes the change: a rolled-back change is neither logged nor
-- announced, and no writer (an operator's SQL included) can forget to announce one.
--
-- tx is the writing transaction's id. A node reads the log by snapshot, not by id: ids are drawn
-- before commit, so a smaller id may commit after a larger one has been read; "committed since my
-- last snapshot" (pg_visible_in_snapshot) misses nothing. changed_at is epoch milliseconds on the
-- database's clock (for the lag metric and for pruning); origin is the node whose connection made
-- the change, read from its application_name ("callsign/<node>"), NULL for anyone else.
CREATE TABLE cluster_changes (
    id          BIGSERIAL    NOT NULL PRIMARY KEY,
    tx          XID8         NOT NULL DEFAULT pg_current_xact_id(),
    kind        VARCHAR(16)  NOT NULL,
    sid         TEXT         NOT NULL,
    origin      TEXT,
    changed_at  BIGINT       NOT NULL
);

CREATE INDEX cluster_changes_tx ON cluster_changes (tx);
CREATE INDEX cluster_changes_changed_at ON cluster_changes (changed_at);

-- TG_ARGV[0]: the kind of change; TG_ARGV[1]: the column naming the cached entry.
CREATE FUNCTION callsign_cluster_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry   TEXT;
    node    TEXT := current_setting('application_name', true);
    at_ms   BIGINT := (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT;
    change  BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        entry := to_jsonb(OLD) ->> TG_ARGV[1];
    ELSE
        entry := to_jsonb(NEW) ->> TG_ARGV[1];
    END IF;
    IF node LIKE 'callsign/%' THEN
        node := substr(node, length('callsign/') + 1);
    ELSE
        node := NULL;
    END IF;
    INSERT INTO cluster_changes (kind, sid, origin, changed_at)
        VALUES (TG_ARGV[0], entry, node, at_ms)
        RETURNING id INTO change;
    -- Delivered to every listening session when (and only if) this transaction commits.
    PERFORM pg_notify('callsign_changes', concat_ws(' ', change, TG_ARGV[0], entry, at_ms, node));
    RETURN NULL;
END;
$$;

CREATE TRIGGER accounts_cluster_change
    AFTER INSERT OR UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION callsign_cluster_change('account', 'sid');

CREATE TRIGGER api_keys_cluster_change
    AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION callsign_cluster_change('key', 'sid');

CREATE TRIGGER flex_users_cluster_change
    AFTER INSERT OR UPDATE OR DELETE ON flex_users
    FOR EACH ROW EXECUTE FUNCTION callsign_cluster_change('flex-user', 'sid');

CREATE TRIGGER flex_roles_cluster_change
    AFTER INSERT OR UPDATE OR DELETE ON flex_roles
    FOR EACH ROW EXECUTE FUNCTION callsign_cluster_change('flex-role', 'instance_sid');

-- Only a new revocation matters: pruning deletes revocations of tokens that have expired anyway.
CREATE TRIGGER flex_revoked_tokens_cluster_change
    AFTER INSERT ON flex_revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION callsign_cluster_change('flex-token', 'token_id');
