-- Each AFK period keeps the name of the watcher that first reported it (daybook-afk,
-- aw-watcher-afk, …), so GET /v1/afk names the same watcher the daemon's status does. Periods
-- stored before this version reported none and read as "afk".
ALTER TABLE afk_periods ADD COLUMN source TEXT;
