-- What we have labelled: one row per (subject, label value). `emitted` is 0 from the moment a
-- decision is taken until the LabelerServer has stored and broadcast it, so a crash in between is
-- finished on restart with the same cts (see src/label/labeler.ts).
CREATE TABLE label_state (
  uri TEXT NOT NULL,
  val TEXT NOT NULL,
  cid TEXT,
  active INTEGER NOT NULL,
  cts TEXT NOT NULL,
  exp TEXT,
  manifest_version TEXT NOT NULL,
  explanation TEXT NOT NULL,
  emitted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (uri, val)
) WITHOUT ROWID;

CREATE INDEX label_state_unemitted ON label_state (uri, val) WHERE emitted = 0;
