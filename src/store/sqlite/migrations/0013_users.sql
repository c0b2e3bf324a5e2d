-- Users of a team server: the directory of whose diaries this daemon serves. Each user's data is
-- a database of its own (users/<name>.db beside this file); only the first database's rows are
-- read. The owner's diary is this database: the data kept before there were users.
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  admin INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  owner INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_owner ON users (owner) WHERE owner = 1;
