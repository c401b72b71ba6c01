import type { Database } from 'better-sqlite3';
import type { Classification } from './prompt.ts';

/**
 * Answers of the LLM per post text, in SQLite (`llm_cache`, migration 005), keyed by model, prompt
 * version and the text's hash: a post seen again (or a restart) costs no request, and a new model or
 * prompt never reuses an old answer.
 */
export class LlmCache {
  private readonly selectStmt;
  private readonly insertStmt;

  constructor(
    db: Database,
    private readonly model: string,
    private readonly promptVersion: string,
  ) {
    this.selectStmt = db.prepare<[string, string, string], { is_sociopolitical: number; political_ideology: Classification['political_ideology'] }>(
      'SELECT is_sociopolitical, political_ideology FROM llm_cache WHERE model = ? AND prompt_version = ? AND text_hash = ?',
    );
    const insert = db.prepare('INSERT INTO llm_cache (model, prompt_version, text_hash, is_sociopolitical, political_ideology, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.insertStmt = db.transaction((entries: readonly (readonly [string, Classification])[], at: string) => {
      for (const [hash, c] of entries) insert.run(this.model, this.promptVersion, hash, c.is_sociopolitical ? 1 : 0, c.political_ideology, at);
    });
  }

  get(hash: string): Classification | undefined {
    const row = this.selectStmt.get(this.model, this.promptVersion, hash);
    return row && { is_sociopolitical: row.is_sociopolitical === 1, political_ideology: row.political_ideology };
  }

  put(entries: readonly (readonly [string, Classification])[]): void {
    if (entries.length) this.insertStmt(entries, new Date().toISOString());
  }
}
