-- Leasing reads pending deliveries oldest first. An index of the pending ones
-- only stays as small as the queue, however many finished deliveries are kept.
DROP INDEX webhook_deliveries_due;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'Pending';
-- An endpoint that cannot be reached holds its other pending deliveries behind
-- the one that probes it; this finds them without reading its history.
CREATE INDEX webhook_deliveries_pending_by_endpoint ON webhook_deliveries(endpoint_id, next_attempt_at) WHERE state = 'Pending';
