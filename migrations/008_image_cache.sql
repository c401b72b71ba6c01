-- What the image operators computed per image blob (src/images/cache.ts): NSFW scores and perceptual
-- hashes, keyed by kind, model version and blob CID (a CID names the content, so a re-posted image is
-- never fetched again). Rows older than IMAGE_CACHE_DAYS are pruned.
CREATE TABLE image_cache (
  kind TEXT NOT NULL,
  version TEXT NOT NULL,
  cid TEXT NOT NULL,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (kind, version, cid)
) WITHOUT ROWID;
CREATE INDEX image_cache_created_at ON image_cache (created_at);
