-- The label store on PostgreSQL (src/label/postgres-store.ts): the same tables as SQLite's label_state and
-- labels log (migrations 002 and 007), shared by every process of a cluster. URIs sort in the "C"
-- collation (byte order, which for UTF-8 is code-point order) so that a queryLabels prefix is a range
-- of the (uri, id) index.
CREATE TABLE label_state (
  uri TEXT COLLATE "C" NOT NULL,
  val TEXT NOT NULL,
  cid TEXT,
  active BOOLEAN NOT NULL,
  cts TEXT NOT NULL,
  exp TEXT,
  manifest_version TEXT NOT NULL,
  explanation TEXT NOT NULL,
  PRIMARY KEY (uri, val)
);

-- `skysift relabel` looks for active labels by value.
CREATE INDEX label_state_active_val ON label_state (val) WHERE active;

-- `id` numbers labels in commit order; the labels of one commit form subscribeLabels events of at most
-- 100 labels, each event's `seq` the id of its last label.
CREATE TABLE labels (
  id BIGINT PRIMARY KEY,
  seq BIGINT NOT NULL,
  src TEXT NOT NULL,
  uri TEXT COLLATE "C" NOT NULL,
  cid TEXT,
  val TEXT NOT NULL,
  neg BOOLEAN NOT NULL,
  cts TEXT NOT NULL,
  exp TEXT,
  sig BYTEA NOT NULL,
  signed_neg_false BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX labels_uri ON labels (uri, id);

CREATE TABLE label_sources (src TEXT PRIMARY KEY);

-- The highest id ever assigned, so that ids are never reused even when the log's tail is pruned. Read
-- and advanced only under the label log's advisory lock, held until the commit.
CREATE TABLE label_log_head (
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  id BIGINT NOT NULL
);
INSERT INTO label_log_head (id) VALUES (0);
