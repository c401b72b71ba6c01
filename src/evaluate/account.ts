import type { TraceEntry } from './compile.ts';
import type { DecidedVerdict } from './index.ts';

export const DAY_MS = 86_400_000;

/** The aggregate of an account manifest (`aggregate` in the manifest). */
export interface AggregateRule {
  minPosts: number;
  share: number;
  windowDays: number;
}

/** Posts of an account seen within the window, and how many the filter matched. */
export interface WindowTally {
  posts: number;
  matched: number;
}

/** The first moment (ms) inside the window that ends at `now`: posts seen at or after it count. */
export function windowStart(now: number, { windowDays }: Pick<AggregateRule, 'windowDays'>): number {
  return now - windowDays * DAY_MS;
}

/** Whether the label holds: at least `minPosts` posts in the window, and a matching share of at least `share`. */
export function accountHolds({ posts, matched }: WindowTally, { minPosts, share }: AggregateRule): boolean {
  return posts >= minPosts && posts > 0 && matched / posts >= share;
}

const percent = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The explanation of an account verdict, in words and numbers (`skysift explain <did>` prints `reason`). */
export function aggregateExplanation(tally: WindowTally, rule: AggregateRule, now: number): TraceEntry {
  const result = accountHolds(tally, rule);
  const share = tally.posts ? tally.matched / tally.posts : 0;
  const since = new Date(windowStart(now, rule)).toISOString();
  const why = result ? 'holds' : tally.posts < rule.minPosts ? `does not hold: fewer than ${rule.minPosts} posts` : `does not hold: share below ${percent(rule.share)}`;
  return {
    path: 'aggregate',
    op: 'aggregate',
    result,
    inputs: {
      reason: `${tally.matched} of ${tally.posts} posts seen in the last ${rule.windowDays} days (since ${since}) matched the filter (${percent(share)}); needs at least ${rule.minPosts} posts and ${percent(rule.share)}: ${why}`,
      posts: tally.posts,
      matched: tally.matched,
      share,
      minPosts: rule.minPosts,
      minShare: rule.share,
      windowDays: rule.windowDays,
      since,
    },
  };
}

/** The verdict on an account (uri = its DID, no cid) from its window's tally. */
export function accountVerdict(did: string, manifest: { label: string; manifestVersion: string; rule: AggregateRule }, tally: WindowTally, now: number): DecidedVerdict {
  const entry = aggregateExplanation(tally, manifest.rule, now);
  return { uri: did, cid: null, label: manifest.label, manifestVersion: manifest.manifestVersion, matched: entry.result === true, explanation: [entry] };
}
