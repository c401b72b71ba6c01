import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { Services } from '../core/services.ts';
import type { TraceEntry } from '../evaluate/compile.ts';
import { decideBatch } from '../evaluate/index.ts';
import type { Labeler } from '../label/index.ts';
import { activeKey } from '../label/store.ts';
import type { CompiledManifest } from '../manifests/load.ts';
import type { PostStore } from '../store/posts.ts';
import type { Progress } from './jobs.ts';

/** Posts decided per batch: large enough for the evaluator's batching, small enough to report progress often. */
const PAGE = 500;
/** Sample posts kept per kind of outcome. */
const SAMPLES = 20;

export type Change = 'labelled' | 'negated' | 'kept';

export interface SamplePost {
  uri: string;
  text: string;
  createdAt: string;
  change: Change;
  /** The explanation of the version that matched (the edited one, or the current one for a negation). */
  explanation: TraceEntry[];
}

export interface PreviewResult {
  scanned: number;
  total: number;
  /** false when the time budget ran out before every stored post was evaluated. */
  complete: boolean;
  matched: { edited: number; current: number };
  /** Posts the edit would label (matched now, not by the current version) and negate (the reverse). */
  labelled: number;
  negated: number;
  undecided: number;
  samples: SamplePost[];
}

interface Backtest {
  posts: PostStore;
  services: Services;
  progress: (p: Progress) => void;
}

/** Every stored post (the retention window), newest first, a page at a time, yielding between pages so the service keeps serving. */
async function* storedPages(posts: PostStore): AsyncGenerator<ConsolidatedPost[]> {
  let last: ConsolidatedPost | undefined;
  for (;;) {
    const page = posts.page(last, PAGE);
    if (!page.length) return;
    yield page;
    last = page.at(-1);
    await yieldToEvents();
  }
}

const sample = (post: ConsolidatedPost, change: Change, explanation: TraceEntry[]): SamplePost => ({
  uri: post.uri,
  text: post.record.text ?? '',
  createdAt: post.record.createdAt ?? post.indexedAt,
  change,
  explanation,
});

/**
 * The edited version of a manifest against its current one over the stored posts: what each matches,
 * what the edit would label and negate, with sample posts and their explanations. Stops at `budgetMs`.
 */
export async function previewEdit({
  posts,
  services,
  progress,
  edited,
  current,
  budgetMs,
}: Backtest & { edited: CompiledManifest; current?: CompiledManifest; budgetMs: number }): Promise<PreviewResult> {
  const deadline = Date.now() + budgetMs;
  const total = posts.countSince('');
  const manifests = current ? [edited, current] : [edited];
  const result: PreviewResult = { scanned: 0, total, complete: true, matched: { edited: 0, current: 0 }, labelled: 0, negated: 0, undecided: 0, samples: [] };
  const kept = { labelled: 0, negated: 0, kept: 0 };
  for await (const page of storedPages(posts)) {
    const decisions = await decideBatch(page, manifests, services.providers, services.memberships());
    page.forEach((post, p) => {
      const i = p * manifests.length;
      const now = decisions.matched(i);
      const before = current ? decisions.matched(i + 1) : false;
      if (now === null || before === null) return void result.undecided++;
      if (now) result.matched.edited++;
      if (before) result.matched.current++;
      const change: Change | undefined = now && !before ? 'labelled' : before && !now ? 'negated' : now ? 'kept' : undefined;
      if (change === 'labelled') result.labelled++;
      if (change === 'negated') result.negated++;
      if (change && kept[change] < SAMPLES) {
        kept[change]++;
        result.samples.push(sample(post, change, decisions.verdict(change === 'negated' ? i + 1 : i).explanation));
      }
    });
    result.scanned += page.length;
    progress({ scanned: result.scanned, total });
    if (Date.now() > deadline) {
      result.complete = result.scanned >= total;
      break;
    }
  }
  // Changes first: they are what the operator is deciding about.
  const order: Record<Change, number> = { labelled: 0, negated: 1, kept: 2 };
  result.samples.sort((a, b) => order[a.change] - order[b.change]);
  return result;
}

export interface HistoryResult {
  scanned: number;
  /** Labels applied and negated (a dry run: that would be). */
  labelled: number;
  negated: number;
  /** Changes a decision by hand holds back. */
  overridden: number;
  dryRun: boolean;
}

/**
 * The running version of a manifest over the stored posts, so that labels follow an edit that today
 * only affects new posts. A dry run counts what would change against the label state; otherwise the
 * changes go through the labeler (signed, stored, broadcast), where decisions by hand still hold.
 */
export async function applyToHistory({ posts, services, progress, labeler, manifest, dryRun }: Backtest & { labeler: Labeler; manifest: CompiledManifest; dryRun: boolean }): Promise<HistoryResult> {
  const total = posts.countSince('');
  const result: HistoryResult = { scanned: 0, labelled: 0, negated: 0, overridden: 0, dryRun };
  const labels = new Map([[manifest.label.value, manifest.label]]);
  for await (const page of storedPages(posts)) {
    const decisions = await decideBatch(page, [manifest], services.providers, services.memberships());
    const uris = page.map((p) => p.uri);
    if (dryRun) {
      const [active, overrides] = await Promise.all([labeler.store.activeState(uris), labeler.store.overrides(uris)]);
      page.forEach((post, i) => {
        const matched = decisions.matched(i);
        const key = activeKey(post.uri, manifest.label.value);
        if (matched === null || matched === active.has(key)) return;
        if (overrides.has(key)) result.overridden++;
        else if (matched) result.labelled++;
        else result.negated++;
      });
    } else {
      const summary = await labeler.apply(decisions, [], labels);
      result.labelled += summary.labelled.length;
      result.negated += summary.negated.length;
    }
    result.scanned += page.length;
    progress({ scanned: result.scanned, total });
  }
  return result;
}
