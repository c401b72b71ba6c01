import { loadConfig } from '../../config.ts';
import { consolidateJetstreamEvent, ConsolidatedPostSchema, type ConsolidatedPost, type ConsolidatedProfile } from '../../consolidate/index.ts';
import { decideBatch, type BatchDecisions } from '../../evaluate/index.ts';
import { stderrLogger } from '../../log.ts';
import type { Services } from '../../core/services.ts';
import { formatProblems, loadManifestFiles, type CompiledManifest } from '../../manifests/load.ts';
import { openServices } from '../../services/index.ts';
import { UsageError, type Command } from '../command.ts';
import { explanationLines, postExcerpt } from '../explanation.ts';
import { inputFile } from '../inputs.ts';
import { jsonlBatches } from '../jsonl.ts';
import { manifestTargets } from '../loaded-manifests.ts';
import { loadMembershipSets } from '../membership-sets.ts';

const BATCH = 256;
/** A manifest matching at least this share of at least BROAD_SAMPLE posts is probably broader than meant. */
const BROAD_RATE = 0.9;
const BROAD_SAMPLE = 10;

/** A line is either a Jetstream event (a post, or a profile for account manifests that read profiles) or an already consolidated post. */
function toDocument(json: unknown): { post: ConsolidatedPost } | { profile: ConsolidatedProfile } | string | undefined {
  if (json && typeof json === 'object' && 'kind' in json) {
    const result = consolidateJetstreamEvent(json);
    if (result.kind === 'post') return { post: result.post };
    if (result.kind === 'profile') return { profile: result.profile };
    return result.kind === 'malformed' ? result.reason : undefined;
  }
  const post = ConsolidatedPostSchema.safeParse(json);
  return post.success ? { post: post.data } : `not a Jetstream event nor a consolidated post: ${post.error.issues[0]?.message}`;
}

interface Options {
  matchesOnly: boolean;
  human: boolean;
}

/** One post's verdicts (pairs `pairs`) as a person reads them: the post, then a line per manifest, the conditions of each match below it. */
function humanLines(post: ConsolidatedPost, decisions: BatchDecisions, pairs: number[], { matchesOnly }: Options): string[] {
  const shown = matchesOnly ? pairs.filter((i) => decisions.matched(i) === true) : pairs;
  if (!shown.length) return [];
  const width = Math.max(...shown.map((i) => decisions.label(i).length));
  return [
    `${post.uri}  ${postExcerpt(post.record.text)}`,
    ...shown.flatMap((i) => {
      const label = decisions.label(i).padEnd(width);
      const matched = decisions.matched(i);
      if (matched === true) return [`  ✓ ${label}  matched`, ...explanationLines(decisions.verdict(i).explanation, '      ')];
      return matched === false ? [`  · ${label}  no match`] : [`  ? ${label}  undecided: ${decisions.undecided(i)}`];
    }),
    '',
  ];
}

/** Posts (and profiles), matches and undecided verdicts per manifest. */
class Summary {
  posts = 0;
  profiles = 0;
  /** Per manifest: what it decided on (posts, or profiles for a profile manifest), matched and undecided. */
  private readonly counts = new Map<string, { seen: number; matched: number; undecided: number; of: string }>();

  constructor(manifests: readonly CompiledManifest[]) {
    for (const m of manifests) this.counts.set(m.label.value, { seen: 0, matched: 0, undecided: 0, of: m.subject.kind === 'profile' ? 'profiles' : 'posts' });
  }

  add(decisions: BatchDecisions) {
    for (let i = 0; i < decisions.size; i++) {
      const count = this.counts.get(decisions.label(i))!;
      count.seen++;
      if (decisions.matched(i) === true) count.matched++;
      if (decisions.matched(i) === null) count.undecided++;
    }
  }

  lines(): string[] {
    const width = Math.max(8, ...[...this.counts.keys()].map((l) => l.length));
    const rate = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)}%` : '-');
    const rows = [...this.counts].map(([label, c]) => `  ${label.padEnd(width)}  ${String(c.matched).padStart(7)}  ${rate(c.matched, c.seen).padStart(6)}  ${String(c.undecided).padStart(9)}`);
    const broad = [...this.counts]
      .filter(([, c]) => c.seen >= BROAD_SAMPLE && c.matched >= BROAD_RATE * c.seen)
      .map(([label, c]) => `warning: "${label}" matched ${c.matched} of ${c.seen} ${c.of} (${rate(c.matched, c.seen)}): nearly every ${c.of.slice(0, -1)}; is its filter broader than you meant?`);
    return [`summary: ${this.posts} post(s)${this.profiles ? `, ${this.profiles} profile(s)` : ''}`, `  ${'manifest'.padEnd(width)}  matched    rate  undecided`, ...rows, ...broad];
  }
}

export const evaluate: Command = {
  name: 'evaluate',
  summary: 'Dry-run manifests over Jetstream events or consolidated posts (JSONL): a verdict per post and manifest with its explanation, then a summary per manifest.',
  usage: 'evaluate <manifest.json | dir> <input.jsonl> [--matches-only] [--format json|human] [--offline]',
  options: {
    'matches-only': { type: 'boolean', description: 'Print only the verdicts that matched.' },
    format: { type: 'string', value: '<json|human>', description: 'One JSON verdict per line, or a readable tree per post.', default: 'human on a terminal, json otherwise' },
    offline: { type: 'boolean', description: 'Never ask the AppView for membership sets: use plain DIDs and the cache in DATA_DIR only.' },
  },
  positionals: { min: 2, max: 2 },
  async run({ positionals, values }) {
    const [target, input] = positionals as [string, string];
    const format = (values.format as string | undefined) ?? (process.stdout.isTTY ? 'human' : 'json');
    if (format !== 'json' && format !== 'human') throw new UsageError(`--format is json or human, not ${JSON.stringify(format)}`);
    const files = manifestTargets(target);
    inputFile(input, 'a JSON-lines file of Jetstream events or consolidated posts');
    const config = loadConfig();
    const services = await openServices({ config, logger: stderrLogger(config.LOG_LEVEL) });
    try {
      const { manifests, problems } = await loadManifestFiles(files, { services: services.compile });
      if (problems.length) console.error(formatProblems(problems));
      if (!manifests.length) return 1;
      for (const line of await loadMembershipSets(services, config, values.offline === true)) console.error(line);
      await evaluateInput(input, manifests, services, { matchesOnly: values['matches-only'] === true, human: format === 'human' });
      return problems.length ? 1 : 0;
    } finally {
      await services.close();
    }
  },
};

/**
 * Posts are decided by the manifests that read posts (post labels and account aggregates: the dry run shows
 * each post's verdict, not the account's share), profiles by the account manifests that read profiles.
 */
async function evaluateInput(input: string, manifests: CompiledManifest[], services: Services, options: Options): Promise<void> {
  const summary = new Summary(manifests);
  const onPosts = manifests.filter((m) => m.subject.kind !== 'profile');
  const onProfiles = manifests.filter((m) => m.subject.kind === 'profile');
  for await (const lines of jsonlBatches(input, BATCH)) {
    const posts: ConsolidatedPost[] = [];
    const profiles: ConsolidatedProfile[] = [];
    for (const line of lines) {
      const document = 'error' in line ? line.error : toDocument(line.value);
      if (typeof document === 'string') console.error(`${input}:${line.lineNo}: skipped: ${document}`);
      else if (document && 'post' in document) posts.push(document.post);
      else if (document) profiles.push(document.profile);
    }
    summary.posts += posts.length;
    summary.profiles += profiles.length;
    for (const [documents, set] of [
      [posts, onPosts],
      [profiles, onProfiles],
    ] as const) {
      if (!documents.length || !set.length) continue;
      // Decided first; only the verdicts printed are explained.
      const decisions = await decideBatch(documents, set, services.providers, services.memberships());
      summary.add(decisions);
      documents.forEach((document, d) => {
        const own = set.map((_, m) => d * set.length + m);
        if (options.human) for (const line of humanLines(document, decisions, own, options)) console.log(line);
        else for (const i of own) if (!options.matchesOnly || decisions.matched(i) === true) console.log(JSON.stringify(decisions.verdict(i)));
      });
    }
  }
  for (const line of summary.lines()) console.error(line);
}
