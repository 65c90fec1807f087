-- Transferring an API client ends what its previous owner held: every secret is
-- retired (marked so that the token endpoint can say why the old secret fails)
-- and the client's transfer count rises, which ends every token issued before.
ALTER TABLE api_clients ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_client_secrets ADD COLUMN retired_reason TEXT;
