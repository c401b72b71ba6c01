import fs from 'node:fs';
import readline from 'node:readline';
import { consolidateJetstreamEvent } from '../../consolidate/index.ts';
import { ConsolidatedPostSchema, type ConsolidatedPost } from '../../consolidate/post.ts';
import { evaluateBatch } from '../../evaluate/index.ts';
import { formatProblems, loadManifestFiles, manifestFiles } from '../../manifests/load.ts';
import type { Command } from '../command.ts';

const BATCH = 256;

/** A line is either a Jetstream event or an already consolidated post. */
function toPost(line: string): ConsolidatedPost | string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'invalid JSON';
  }
  if (json && typeof json === 'object' && 'kind' in json) {
    const result = consolidateJetstreamEvent(json);
    return result.kind === 'post' ? result.post : result.kind === 'malformed' ? result.reason : undefined;
  }
  const post = ConsolidatedPostSchema.safeParse(json);
  return post.success ? post.data : `not a Jetstream event nor a consolidated post: ${post.error.issues[0]?.message}`;
}

export const evaluate: Command = {
  name: 'evaluate',
  summary: 'Dry-run manifests over Jetstream events or consolidated posts (JSONL), printing one verdict per post and manifest.',
  usage: 'evaluate <manifest.json | dir> <input.jsonl>',
  positionals: { min: 2, max: 2 },
  async run({ positionals }) {
    const [target, input] = positionals as [string, string];
    const files = fs.statSync(target).isDirectory() ? manifestFiles(target) : [target];
    const { manifests, problems } = await loadManifestFiles(files);
    if (problems.length) console.error(formatProblems(problems));
    if (!manifests.length) return 1;
    let lineNo = 0;
    let batch: ConsolidatedPost[] = [];
    const flush = async () => {
      for (const verdict of await evaluateBatch(batch, manifests)) console.log(JSON.stringify(verdict));
      batch = [];
    };
    for await (const line of readline.createInterface({ input: fs.createReadStream(input), crlfDelay: Infinity })) {
      lineNo++;
      if (!line.trim()) continue;
      const post = toPost(line);
      if (typeof post === 'string') console.error(`${input}:${lineNo}: skipped: ${post}`);
      else if (post) batch.push(post);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    return problems.length ? 1 : 0;
  },
};
