import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A file or folder under `test/fixtures/`: recorded events, feed views, tree models (see its README for provenance). */
export function fixture(relative: string): string {
  return fileURLToPath(new URL(relative, new URL('../fixtures/', import.meta.url)));
}

/** The recorded feed views, `author-feed-*.json` under `test/fixtures/feeds/`, in name order. */
export function feedFiles(): string[] {
  return fs
    .readdirSync(fixture('feeds/'))
    .filter((f) => f.endsWith('.json'))
    .sort();
}
