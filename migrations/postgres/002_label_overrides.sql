-- Human decisions on (subject, label value) (issue 18; SQLite's migration 009): applied (active) or
-- negated by hand. While a row exists, manifest verdicts on that subject and value change nothing; the
-- latest of them is kept here (`manifest_*`) so that clearing the override returns the subject to what
-- the manifests last said. Reports stay in each label server's SQLite file (src/moderation/), so
-- `report_id` names one there and has no foreign key here.
CREATE TABLE label_overrides (
  uri TEXT COLLATE "C" NOT NULL,
  val TEXT NOT NULL,
  active BOOLEAN NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  reason TEXT,
  report_id INTEGER,
  manifest_active BOOLEAN NOT NULL,
  manifest_cid TEXT,
  manifest_version TEXT,
  manifest_explanation TEXT,
  PRIMARY KEY (uri, val)
);
