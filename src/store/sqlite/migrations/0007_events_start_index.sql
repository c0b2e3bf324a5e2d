-- Events are found by their start alone: an event's identity (its 16-byte content id) is
-- compared by the writer among the few rows that share a start, inside the write transaction
-- (one writer), instead of being repeated in an index entry of every event. The (start, id)
-- index cost 36 of the ~120 bytes an event takes on disk; this one costs about 16.
DROP INDEX events_start_id;
CREATE INDEX events_start ON events (start_ms);
