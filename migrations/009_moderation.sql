-- Moderation (issue 18). Numbered 009: 008 is taken by the image cache of another branch.

-- Reports received through com.atproto.moderation.createReport, each from a reporter whose
-- service-auth token was verified (src/moderation/). `subject` is a DID (account) or an at-uri
-- (record); an appeal links the labels of ours it contests (`appealed`: JSON array of label values
-- active on the subject when it arrived). A resolution records who decided, when and why.
CREATE TABLE reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  reason_type TEXT NOT NULL,
  reason TEXT,
  subject_type TEXT NOT NULL CHECK (subject_type IN ('account', 'record')),
  subject TEXT NOT NULL,
  subject_cid TEXT,
  reported_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  appealed TEXT,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'rejected')),
  resolved_at TEXT,
  resolved_by TEXT,
  resolution TEXT
);

CREATE INDEX reports_by_status ON reports (status, id);
CREATE INDEX reports_by_reporter ON reports (reported_by, subject, status);

-- Human decisions on (subject, label value): applied (active = 1) or negated (active = 0) by hand.
-- While a row exists, manifest verdicts on that subject and value change nothing; the latest of them
-- is kept here (`manifest_*`) so that clearing the override returns the subject to what the
-- manifests last said.
CREATE TABLE label_overrides (
  uri TEXT NOT NULL,
  val TEXT NOT NULL,
  active INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  reason TEXT,
  report_id INTEGER REFERENCES reports (id),
  manifest_active INTEGER NOT NULL,
  manifest_cid TEXT,
  manifest_version TEXT,
  manifest_explanation TEXT,
  PRIMARY KEY (uri, val)
) WITHOUT ROWID;
