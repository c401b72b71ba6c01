import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { FeatureProvider, FeatureRequest } from '../core/features.ts';
import type { EvaluationContext } from '../core/operator.ts';
import type { Memberships } from '../core/services.ts';
import { isUndecidedValue, type NodeValue } from '../operators/logic.ts';
import type { TraceEntry } from './compile.ts';
import { evaluationPlan, type EvaluableManifest } from './plan.ts';

export { EvaluationPlan, evaluationPlan, type EvaluableManifest } from './plan.ts';

interface VerdictOf<Matched> {
  uri: string;
  /** The version decided on; null for an account (its labels carry no cid). */
  cid: string | null;
  label: string;
  manifestVersion: string;
  matched: Matched;
  explanation: TraceEntry[];
}

/** The outcome of one manifest on one post, with the leaves that decided it. */
export type DecidedVerdict = VerdictOf<boolean>;

/** A manifest a failed feature left undecided on a post (`matched: null`, why in `undecided`): no label change; the post is decided on a later sighting. */
export interface UndecidedVerdict extends VerdictOf<null> {
  undecided: string;
}

export type Verdict = DecidedVerdict | UndecidedVerdict;

export const isDecided = (verdict: Verdict): verdict is DecidedVerdict => verdict.matched !== null;

export class EvaluationError extends Error {
  override name = 'EvaluationError';
}

/**
 * The verdicts of a batch as the label stage reads them: pair by pair (post × manifest, `i`), the
 * outcome alone; the full verdict, with its explanation, only for the pairs it acts on.
 */
export interface Decisions {
  readonly size: number;
  uri(i: number): string;
  label(i: number): string;
  /** true, false, or null when undecided. */
  matched(i: number): boolean | null;
  verdict(i: number): Verdict;
}

/** A list of verdicts (explained already) read as Decisions. */
export function decisionsOf(verdicts: readonly Verdict[]): Decisions {
  return { size: verdicts.length, uri: (i) => verdicts[i]!.uri, label: (i) => verdicts[i]!.label, matched: (i) => verdicts[i]!.matched, verdict: (i) => verdicts[i]! };
}

const UNDECIDED = 2;

/**
 * What every manifest decided on every post of a batch (pair `i` = post `i / manifests.length`,
 * manifest `i % manifests.length`), held as one byte per pair. A pair's verdict is explained on request
 * by the reference evaluation (`CompiledNode.explain`) with the batch's features and memberships, so
 * that explaining costs nothing for the pairs nobody asks about: those that change no label.
 */
export class BatchDecisions implements Decisions {
  constructor(
    readonly posts: readonly ConsolidatedPost[],
    readonly manifests: readonly EvaluableManifest[],
    private readonly outcomes: Int8Array,
    private readonly reasons: ReadonlyMap<number, string>,
    private readonly context: EvaluationContext,
  ) {}

  get size(): number {
    return this.outcomes.length;
  }

  uri(i: number): string {
    return this.posts[Math.floor(i / this.manifests.length)]!.uri;
  }

  label(i: number): string {
    return this.manifests[i % this.manifests.length]!.label.value;
  }

  matched(i: number): boolean | null {
    const outcome = this.outcomes[i];
    return outcome === UNDECIDED ? null : outcome === 1;
  }

  /** Why pair `i` is undecided (undefined when it is decided). */
  undecided(i: number): string | undefined {
    return this.reasons.get(i);
  }

  verdict(i: number): Verdict {
    const post = this.posts[Math.floor(i / this.manifests.length)]!;
    const manifest = this.manifests[i % this.manifests.length]!;
    const trace: TraceEntry[] = [];
    const value = manifest.filter.explain(post, this.context, trace);
    if (Array.isArray(value)) throw new EvaluationError(`${manifest.file}: explaining ${post.uri} asks for a feature its decision did not (${value.map((r) => r.kind.name).join(', ')})`);
    const about = { uri: post.uri, cid: post.cid, label: manifest.label.value, manifestVersion: manifest.version, explanation: trace };
    return isUndecidedValue(value) ? { ...about, matched: null, undecided: value.undecided } : { ...about, matched: value };
  }

  /** Every verdict of the batch, explained: a dry run's output. */
  verdicts(): Verdict[] {
    return Array.from({ length: this.size }, (_, i) => this.verdict(i));
  }
}

/**
 * Decides every manifest on every post (through the manifests' evaluation plan: see plan.ts). Leaves
 * that need features (embeddings, model scores) report them as pending; each round computes all pending
 * features of the batch with one call per provider, then decides again only the pairs still pending. A
 * failed feature (a provider value the leaf reports as undecided) leaves its pairs undecided.
 */
export async function decideBatch(
  posts: readonly ConsolidatedPost[],
  manifests: readonly EvaluableManifest[],
  providers: ReadonlyMap<string, FeatureProvider> = new Map(),
  memberships: Memberships = new Map(),
): Promise<BatchDecisions> {
  const plan = evaluationPlan(manifests);
  const features = new Map<string, Map<string, unknown>>();
  const context: EvaluationContext = {
    // The provider of the request's kind computed the value, so it has the request's output type.
    feature: <Out>(request: FeatureRequest<unknown, Out>) => features.get(request.kind.name)?.get(request.key) as Out | undefined,
    membership: (setKey) => memberships.get(setKey),
  };
  const count = manifests.length;
  const outcomes = new Int8Array(posts.length * count);
  const reasons = new Map<number, string>();
  const provided = new Set<string>();
  let requests = new Map<string, FeatureRequest>();
  let pending: number[] = [];
  const record = (i: number, value: NodeValue) => {
    if (value === true) outcomes[i] = 1;
    else if (value === false) outcomes[i] = 0;
    else if (Array.isArray(value)) {
      for (const request of value) {
        const id = `${request.kind.name}\u0000${request.key}`;
        if (provided.has(id)) throw new EvaluationError(`${manifests[i % count]!.file}: feature ${request.kind.name}/${request.key} still pending after it was computed`);
        requests.set(id, request);
      }
      pending.push(i);
    } else if (isUndecidedValue(value)) {
      outcomes[i] = UNDECIDED;
      reasons.set(i, value.undecided);
    }
  };
  let base = 0;
  const decided = (m: number, value: NodeValue) => record(base + m, value);
  for (const post of posts) {
    plan.begin(post, context);
    plan.decideAll(decided);
    base += count;
  }
  while (pending.length) {
    await computeFeatures([...requests.values()], providers, features);
    for (const id of requests.keys()) provided.add(id);
    const again = pending;
    pending = [];
    requests = new Map();
    let begun = -1;
    for (const i of again) {
      const p = Math.floor(i / count);
      if (p !== begun) plan.begin(posts[(begun = p)]!, context);
      record(i, plan.decide(i % count));
    }
  }
  return new BatchDecisions(posts, manifests, outcomes, reasons, context);
}

/**
 * Evaluates every manifest on every post and explains every verdict (dry runs, tests): one verdict per
 * (post, manifest), in that order. The pipeline uses `decideBatch` and explains only what changes.
 */
export async function evaluateBatch(
  posts: readonly ConsolidatedPost[],
  manifests: readonly EvaluableManifest[],
  providers: ReadonlyMap<string, FeatureProvider> = new Map(),
  memberships: Memberships = new Map(),
): Promise<Verdict[]> {
  return (await decideBatch(posts, manifests, providers, memberships)).verdicts();
}

async function computeFeatures(requests: FeatureRequest[], providers: ReadonlyMap<string, FeatureProvider>, features: Map<string, Map<string, unknown>>) {
  const byProvider = new Map<string, FeatureRequest[]>();
  for (const request of requests) {
    const list = byProvider.get(request.kind.name);
    if (list) list.push(request);
    else byProvider.set(request.kind.name, [request]);
  }
  await Promise.all(
    [...byProvider].map(async ([name, list]) => {
      const provider = providers.get(name);
      if (!provider) throw new EvaluationError(`no feature provider named "${name}"`);
      const values = await provider.compute(list.map((r) => r.input));
      const store = features.get(name) ?? new Map<string, unknown>();
      list.forEach((r, i) => store.set(r.key, values[i]));
      features.set(name, store);
    }),
  );
}
