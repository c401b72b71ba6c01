-- Answers of the optional LLM classifier, one row per (model, prompt version, post text hash), so a
-- text is sent to the LLM once per model and prompt (src/llm/cache.ts).
CREATE TABLE llm_cache (
  model TEXT NOT NULL,
  prompt_version TEXT NOT NULL,
  text_hash TEXT NOT NULL,
  is_sociopolitical INTEGER NOT NULL,
  political_ideology TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (model, prompt_version, text_hash)
) WITHOUT ROWID;
