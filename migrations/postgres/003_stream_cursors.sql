-- Where each consumer of the event stream stands (cluster mode: `nats:<stream>:p<partition>` → the last
-- stream sequence applied). Moved in the same transaction as the labels and label state of the batch
-- that reached it (src/label/postgres-store.ts), so a batch delivered again is known to be done.
CREATE TABLE stream_cursors (
  name TEXT PRIMARY KEY,
  position BIGINT NOT NULL
);
