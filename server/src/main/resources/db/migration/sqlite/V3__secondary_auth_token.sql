-- The secondary auth token (Accounts v1 AuthTokens), AEAD-encrypted with "SID:secondary" as
-- associated data so that it cannot be swapped with the primary token's ciphertext.
-- NULL when the account has no secondary token.
ALTER TABLE accounts ADD COLUMN secondary_auth_token_enc BLOB;
ALTER TABLE accounts ADD COLUMN secondary_date_created INTEGER;
