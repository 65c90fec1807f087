-- An e-mail's single-use link (activation, password reset) is no longer kept in
-- its body, where staff, backups and dumps could read it and take the account
-- over: the body holds a marker, and the link is sealed with the master key
-- (which is not in the database) until the message is delivered or the link
-- expires, then forgotten.
ALTER TABLE outbox ADD COLUMN sealed_link TEXT;
ALTER TABLE outbox ADD COLUMN link_expires_at BIGINT;

-- Messages written before this kept the link in clear. Delivered and stored ones
-- lose it now (43 characters after '?token='); pending ones lose it once sent.
UPDATE outbox
SET body = substr(body, 1, strpos(body, '?token=') + 6) || '[withheld]' || substr(body, strpos(body, '?token=') + 50)
WHERE state <> 'Pending' AND strpos(body, '?token=') > 0;
