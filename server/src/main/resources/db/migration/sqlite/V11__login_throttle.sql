-- The shared sign-in throttle (docs/design/0017-shared-login-throttle.md) is for several nodes on
-- one PostgreSQL database. An SQLite file has exactly one node, whose throttle counts in memory
-- (LocalLoginThrottle): nothing to store. This migration keeps the version numbers of both dialects
-- in step.
SELECT 1;
