-- The label log: every signed label and negation, in the order subscribers receive it, written with
-- label_state in one transaction per batch (src/label/sqlite-store.ts). `id` numbers labels and is
-- never reused (AUTOINCREMENT); the labels of one commit are served as subscribeLabels events of at
-- most 100 labels, each event's `seq` being the id of its last label, so cursors of subscribeLabels
-- and queryLabels count alike.
CREATE TABLE labels (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  seq INTEGER NOT NULL,
  src TEXT NOT NULL,
  uri TEXT NOT NULL,
  cid TEXT,
  val TEXT NOT NULL,
  neg INTEGER NOT NULL,
  cts TEXT NOT NULL,
  exp TEXT,
  sig BLOB NOT NULL,
  -- 1 for labels @skyware/labeler 0.2.0 signed with an explicit "neg": false; they are served with it,
  -- so that their signatures verify.
  signed_neg_false INTEGER NOT NULL DEFAULT 0
);

-- queryLabels by exact URI or URI prefix, in log order.
CREATE INDEX labels_uri ON labels (uri, id);

-- Every `src` the log holds (a handful: the labeler's DID, an earlier local did:key), so that
-- queryLabels can answer a `sources` filter without scanning the log.
CREATE TABLE label_sources (src TEXT PRIMARY KEY) WITHOUT ROWID;

-- Before this migration a decision was recorded here with emitted = 0 and then handed to the
-- LabelerServer's own store (labels.db). The rows a crash left unconfirmed are finished once by the
-- import of labels.db (src/label/legacy-import.ts); from now on state and labels commit together.
CREATE TABLE legacy_unconfirmed_labels (
  uri TEXT NOT NULL,
  val TEXT NOT NULL,
  PRIMARY KEY (uri, val)
) WITHOUT ROWID;
INSERT INTO legacy_unconfirmed_labels (uri, val) SELECT uri, val FROM label_state WHERE emitted = 0;

DROP INDEX label_state_unemitted;
ALTER TABLE label_state DROP COLUMN emitted;
