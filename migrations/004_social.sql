-- Membership sets of the social operators (follows, followers, lists, starter packs), as last
-- fetched from the AppView: the service starts from these while they are fresh and refreshes them
-- before `expires_at`. `records` maps graph records to members so live deletes can be applied.
CREATE TABLE social_sets (
  key TEXT PRIMARY KEY,
  members TEXT NOT NULL,
  records TEXT NOT NULL,
  source TEXT,
  fetched_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
