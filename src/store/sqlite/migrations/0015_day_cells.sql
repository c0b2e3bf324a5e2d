-- Day marginals: per UTC day (epoch ms / 86400000), the milliseconds of each value of one
-- dimension (the `dim` codes of cells_hour_dim, but entity: the long tail stays on hours), kept
-- with the hour marginals from the same deltas in the same transaction, so a day is always the sum
-- of its 24 hour rows. A year-long question reads a row per day and value, plus the hour rows that
-- make up the difference between UTC days and its own zone's days (see `planDays`): any zone and
-- start of day, nothing to rebuild when the settings change. Whole milliseconds (every cell holds
-- a whole number of them): sums stay exact, and a value whose time went away reaches exactly 0
-- and is deleted.
CREATE TABLE cells_day_dim (
  dim INTEGER NOT NULL, day INTEGER NOT NULL, value INTEGER NOT NULL, ms INTEGER NOT NULL,
  PRIMARY KEY (dim, day, value)
) WITHOUT ROWID;
INSERT INTO cells_day_dim (dim, day, value, ms)
SELECT dim, day, value, sum(ms) AS total FROM (
  SELECT dim, CASE WHEN hour >= 0 THEN hour / 24 ELSE (hour - 23) / 24 END AS day, value,
         CAST(round(seconds * 1000) AS INTEGER) AS ms
  FROM cells_hour_dim WHERE dim <> 8)
GROUP BY dim, day, value HAVING total <> 0;
