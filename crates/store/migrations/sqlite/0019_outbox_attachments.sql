-- An e-mail may carry one text attachment: a maintenance notice's calendar
-- entry (.ics), which mail clients offer to add to the calendar.
ALTER TABLE outbox ADD COLUMN attachment_name TEXT;
-- Its media type, e.g. 'text/calendar; method=PUBLISH; charset=utf-8'.
ALTER TABLE outbox ADD COLUMN attachment_type TEXT;
ALTER TABLE outbox ADD COLUMN attachment TEXT;
