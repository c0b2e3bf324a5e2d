-- Teams of a team server (the directory's, like users: only the first database's rows are read).
-- A member is invited (joined = 0) until they accept; what each joined member shares is a row per
-- project, with or without its details (titles, files, URLs, labels).
CREATE TABLE teams (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE team_members (
  team_id TEXT NOT NULL,
  user_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  joined INTEGER NOT NULL,
  invited_by TEXT NOT NULL,
  since_ms INTEGER NOT NULL,
  PRIMARY KEY (team_id, user_name)
);
CREATE INDEX team_members_user ON team_members (user_name);
CREATE TABLE team_shares (
  team_id TEXT NOT NULL,
  user_name TEXT NOT NULL,
  project TEXT NOT NULL,
  details INTEGER NOT NULL,
  PRIMARY KEY (team_id, user_name, project)
);
-- The directory's version: bumped with every change of its users, so each daemon on a shared
-- database can tell cheaply whether its list of users is current.
INSERT INTO meta (key, value) VALUES ('directory', 0) ON CONFLICT (key) DO NOTHING;
