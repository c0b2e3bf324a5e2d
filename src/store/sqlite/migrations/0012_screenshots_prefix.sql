-- The screenshots' full-text index with prefix indexes of 2 and 3 characters: every search word
-- matches as a prefix, and a short prefix ("th", "rev") otherwise merges the doclists of every
-- word it starts, hundreds of milliseconds over 100,000 frames. About doubles the index's size
-- (small beside the images). Rebuilt from the rows: nothing is lost.
DROP TRIGGER screenshots_fts_insert;
DROP TRIGGER screenshots_fts_delete;
DROP TABLE screenshots_fts;
CREATE VIRTUAL TABLE screenshots_fts USING fts5 (
  text,
  title,
  content = 'screenshots',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);
INSERT INTO screenshots_fts (screenshots_fts) VALUES ('rebuild');
CREATE TRIGGER screenshots_fts_insert AFTER INSERT ON screenshots BEGIN
  INSERT INTO screenshots_fts (rowid, text, title) VALUES (new.id, coalesce(new.text, ''), new.title);
END;
CREATE TRIGGER screenshots_fts_delete AFTER DELETE ON screenshots BEGIN
  INSERT INTO screenshots_fts (screenshots_fts, rowid, text, title)
  VALUES ('delete', old.id, coalesce(old.text, ''), old.title);
END;
