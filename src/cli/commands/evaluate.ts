import { loadConfig } from '../../config.ts';
import { consolidateJetstreamEvent, ConsolidatedPostSchema, type ConsolidatedPost } from '../../consolidate/index.ts';
import { evaluateBatch } from '../../evaluate/index.ts';
import { stderrLogger } from '../../log.ts';
import type { Services } from '../../core/services.ts';
import { openServices } from '../../services/index.ts';
import { formatProblems, loadManifestFiles } from '../../manifests/load.ts';
import type { Command } from '../command.ts';
import { inputFile } from '../inputs.ts';
import { jsonlBatches } from '../jsonl.ts';
import { manifestTargets } from '../loaded-manifests.ts';

const BATCH = 256;

/** A line is either a Jetstream event or an already consolidated post. */
function toPost(json: unknown): ConsolidatedPost | string | undefined {
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
    const files = manifestTargets(target);
    inputFile(input, 'a JSON-lines file of Jetstream events or consolidated posts');
    const config = loadConfig();
    const services = await openServices({ config, logger: stderrLogger(config.LOG_LEVEL) });
    try {
      return await evaluateFiles(files, input, services);
    } finally {
      await services.close();
    }
  },
};

async function evaluateFiles(files: string[], input: string, services: Services): Promise<number> {
  const { manifests, problems } = await loadManifestFiles(files, { services: services.compile });
  if (problems.length) console.error(formatProblems(problems));
  if (!manifests.length) return 1;
  for await (const lines of jsonlBatches(input, BATCH)) {
    const posts: ConsolidatedPost[] = [];
    for (const line of lines) {
      const post = 'error' in line ? line.error : toPost(line.value);
      if (typeof post === 'string') console.error(`${input}:${line.lineNo}: skipped: ${post}`);
      else if (post) posts.push(post);
    }
    for (const verdict of await evaluateBatch(posts, manifests, services.providers, services.memberships())) console.log(JSON.stringify(verdict));
  }
  return problems.length ? 1 : 0;
}
