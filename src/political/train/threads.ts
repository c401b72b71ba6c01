import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../models/train/dataset.ts';

/** The two CSVs of the Epistemic-Threats crawl that name each post's thread neighbours. */
export const THREAD_FILES = ['bluesky_posts.csv', 'bluesky_replies_and_quotes_detailed.csv'] as const;

function readCsvObjects(file: string): Record<string, string>[] {
  const [header = [], ...rows] = parseCsv(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  return rows.filter((r) => r.length > 1).map((r) => Object.fromEntries(header.map((name, i) => [name, r[i] ?? ''])));
}

/**
 * What each post answers, by post text: a search hit's parent (or quoted) post, and the hit itself for each of its
 * replies. The pool keeps these posts (sources `…#parent`, `…#reply`) but not the links between them; the crawl's
 * CSVs (github.com/derronborders/Epistemic-Threats at e6c5fd0) do. The first pairing of a text wins.
 */
export function readThreadContext(threadsDir: string): Map<string, string> {
  const context = new Map<string, string>();
  const pair = (text: string | undefined, answered: string | undefined) => {
    if (text && answered && text !== answered && !context.has(text)) context.set(text, answered);
  };
  for (const hit of readCsvObjects(path.join(threadsDir, THREAD_FILES[0]))) {
    pair(hit['Text'], hit['Parent Text'] || hit['Quoted Text']);
    for (let k = 1; k <= 20; k++) pair(hit[`Reply_${k}_Text`], hit['Text']);
  }
  for (const row of readCsvObjects(path.join(threadsDir, THREAD_FILES[1]))) pair(row['Text'], row['Parent Text'] || row['Quoted Text']);
  return context;
}
