-- Small facts the service keeps between runs (the Jetstream cursor, the local key's DID, ...).
CREATE TABLE kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
