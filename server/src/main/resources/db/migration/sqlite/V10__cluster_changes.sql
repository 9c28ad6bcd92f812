-- Cross-node cache invalidation (docs/design/0016-cluster-invalidation.md) is for several nodes on
-- one PostgreSQL database. An SQLite file has exactly one node, which invalidates its own caches on
-- every write: nothing to log. This migration keeps the version numbers of both dialects in step.
SELECT 1;
