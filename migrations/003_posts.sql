-- Consolidated posts, one row per URI: the merge of every copy seen (firehose and feed views).
-- `indexed_at` drives retention (POST_RETENTION_DAYS); `post` is the ConsolidatedPost as JSON.
-- A rowid table: rows of a kilobyte or more are what WITHOUT ROWID handles badly.
CREATE TABLE posts (
  uri TEXT PRIMARY KEY,
  did TEXT NOT NULL,
  cid TEXT NOT NULL,
  indexed_at TEXT NOT NULL,
  source TEXT NOT NULL,
  post TEXT NOT NULL
);

CREATE INDEX posts_indexed_at ON posts (indexed_at);

-- What we know of an author from identity and account events. A taken-down or deactivated account
-- keeps its labels: only its status is recorded here.
CREATE TABLE authors (
  did TEXT PRIMARY KEY,
  handle TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  status TEXT,
  updated_time_us INTEGER NOT NULL
) WITHOUT ROWID;
