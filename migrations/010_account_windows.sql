-- Account labels aggregated from posts (issue 18, docs/account-labels.md). One row per (label, post)
-- an account manifest decided: the post's author, when it was seen (ms since the epoch, from the post's
-- indexedAt: Jetstream's time, not the author's createdAt) and whether the filter matched it. The label
-- of (label, did) holds while, among its rows seen within the manifest's window, there are at least
-- minPosts and the matching share is at least `share`. A deleted post loses its rows; rows older than
-- the window are swept away (and the account re-decided) by a cron job.
CREATE TABLE account_window_posts (
  label TEXT NOT NULL,
  uri TEXT NOT NULL,
  did TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  matched INTEGER NOT NULL CHECK (matched IN (0, 1)),
  PRIMARY KEY (label, uri)
) WITHOUT ROWID;

-- One index besides the key, covering the count of an account's window (an index-only range scan): every
-- post writes both. Deletes go through the key (label, uri) or this index (label, did); the sweep scans a
-- label's rows through the key, once per ACCOUNT_SWEEP_CRON.
CREATE INDEX account_window_by_author ON account_window_posts (label, did, seen_at, matched);
