import type { ConsolidatedPost } from '../consolidate/post.ts';
import { accountVerdict, windowStart, type AggregateRule } from '../evaluate/account.ts';
import type { Decisions, Verdict } from '../evaluate/index.ts';
import type { CompiledManifest } from '../manifests/load.ts';
import { unique, type AccountKey, type AccountWindowStore, type WindowPost } from '../store/account-windows.ts';

interface AggregateManifest {
  /** Its position among the manifests the batch was decided with. */
  index: number;
  manifest: CompiledManifest;
  rule: AggregateRule;
}

// Per loaded list of manifests: looked up on every batch.
const aggregatesOf = new WeakMap<readonly CompiledManifest[], AggregateManifest[]>();

function aggregates(manifests: readonly CompiledManifest[]): AggregateManifest[] {
  let found = aggregatesOf.get(manifests);
  if (!found) {
    found = manifests.flatMap((manifest, index) => (manifest.subject.kind === 'account-posts' ? [{ index, manifest, rule: manifest.subject.aggregate }] : []));
    aggregatesOf.set(manifests, found);
  }
  return found;
}

/**
 * Account labels aggregated from posts (`"subject": "account"` with `"aggregate"`): keeps each account's
 * window of decided posts in the store and turns it into verdicts on the account (uri = DID, no cid),
 * which the labeler diffs against label state like any other. A window changes when the account's posts
 * are decided or deleted, and when old posts age out (`sweep`, run by a cron job: an account that stops
 * posting sends no event that would lift its label).
 */
export class AccountLabels {
  constructor(
    readonly windows: AccountWindowStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records the aggregate manifests' verdicts on a batch's posts (`decisions` over `posts` × `manifests`),
   * forgets deleted posts, and returns the verdicts of every account whose window changed. A post seen
   * before the window (an old feed item, a replay of old events) is not recorded; an undecided one is left out.
   */
  fromPosts(decisions: Decisions, posts: readonly ConsolidatedPost[], manifests: readonly CompiledManifest[], deletes: readonly string[]): Verdict[] {
    const rules = aggregates(manifests);
    if (!rules.length) return [];
    const now = this.now();
    const rows: WindowPost[] = [];
    posts.forEach((post, p) => {
      const seenAt = Date.parse(post.indexedAt);
      for (const { index, manifest, rule } of rules) {
        const matched = decisions.matched(p * manifests.length + index);
        if (matched === null || !(seenAt >= windowStart(now, rule))) continue;
        rows.push({ label: manifest.label.value, uri: post.uri, did: post.author.did, seenAt, matched });
      }
    });
    this.windows.record(rows);
    const touched = unique([
      ...rows,
      ...this.windows.deletePosts(
        rules.map((r) => r.manifest.label.value),
        deletes,
      ),
    ]);
    return this.decide(touched, rules, now);
  }

  /** Ages the windows: drops posts older than each manifest's window (and the rows of manifests gone) and re-decides the accounts that had any. */
  sweep(manifests: readonly CompiledManifest[]): Verdict[] {
    const rules = aggregates(manifests);
    this.windows.retain(new Set(rules.map((r) => r.manifest.label.value)));
    const now = this.now();
    return rules.flatMap((rule) => {
      const label = rule.manifest.label.value;
      const dids = this.windows.expire(label, windowStart(now, rule.rule));
      return this.decide(
        dids.map((did) => ({ label, did })),
        [rule],
        now,
      );
    });
  }

  /** A deleted account's windows are dropped (its labels are lifted by `deletedAccountVerdicts`). */
  forgetAccounts(dids: readonly string[], manifests: readonly CompiledManifest[]): void {
    const labels = aggregates(manifests).map((r) => r.manifest.label.value);
    for (const did of dids) this.windows.deleteAccount(labels, did);
  }

  private decide(keys: readonly AccountKey[], rules: readonly AggregateManifest[], now: number): Verdict[] {
    const byLabel = new Map(rules.map((r) => [r.manifest.label.value, r]));
    return keys.flatMap((key) => {
      const rule = byLabel.get(key.label);
      if (!rule) return [];
      const tally = this.windows.counts(key, windowStart(now, rule.rule));
      return [accountVerdict(key.did, { label: key.label, manifestVersion: rule.manifest.version, rule: rule.rule }, tally, now)];
    });
  }
}

/** A deleted account: every account manifest's label on it is lifted, whatever its profile or posts said. */
export function deletedAccountVerdicts(dids: readonly string[], manifests: readonly CompiledManifest[]): Verdict[] {
  const accountManifests = manifests.filter((m) => m.subject.kind !== 'post');
  return dids.flatMap((did) =>
    accountManifests.map((m) => ({
      uri: did,
      cid: null,
      label: m.label.value,
      manifestVersion: m.version,
      matched: false,
      explanation: [{ path: 'account', op: 'account-deleted', result: false, inputs: { reason: 'the account was deleted' } }],
    })),
  );
}
