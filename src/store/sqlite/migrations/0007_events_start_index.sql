-- Events are found by their start alone: an event's identity (its 16-byte content id) is
-- compared by the writer among the few rows that share a start, inside the write transaction
-- (one writer), instead of being repeated in an index entry of every event. The (start, id)
-- index cost 36 of the ~120 bytes an event takes on disk; this one costs about 16.
DROP INDEX events_start_id;
CREATE INDEX events_start ON events (start_ms);

-- A question filtered by project and grouped or filtered by another dimension reads hour cells:
-- by project first, it reads that project's cells only, not every cell of the range (about one
-- byte per event).
CREATE INDEX cells_hour_project ON cells_hour (project, hour);
