-- The request id of an event: the same id is in the response (X-Request-Id, error extensions)
-- and in every log line of the request, so an event leads to its logged causes.
ALTER TABLE audit_events ADD COLUMN request_id TEXT;
CREATE INDEX audit_events_request ON audit_events(request_id);
