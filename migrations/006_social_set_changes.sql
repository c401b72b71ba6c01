-- Follow/list-item changes seen live since a membership set was last fetched, appended with their
-- batch and replayed over the set's `social_sets` row on start (src/social/store.ts). Appending keeps
-- the write per event small however large the set; a fetch rewrites the row and clears them.
CREATE TABLE social_set_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  record TEXT NOT NULL,
  member TEXT
);
CREATE INDEX social_set_changes_by_key ON social_set_changes (key, id);
