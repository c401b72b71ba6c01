import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { FeatureProvider, FeatureRequest } from '../core/features.ts';
import type { EvaluationContext } from '../core/operator.ts';
import type { Memberships } from '../core/services.ts';
import { isUndecidedValue } from '../operators/logic.ts';
import type { CompiledNode, TraceEntry } from './compile.ts';

/** What evaluation needs of a compiled manifest (`src/manifests/` compiles them from files). */
export interface EvaluableManifest {
  file: string;
  label: { value: string };
  version: string;
  filter: CompiledNode;
}

interface VerdictOf<Matched> {
  uri: string;
  cid: string;
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
 * Evaluates every manifest on every post. Leaves that need features (embeddings, model scores)
 * report them as pending; each round computes all pending features of the batch with one call per
 * provider, then re-evaluates only the pairs still pending. Returns one verdict per (post, manifest);
 * a failed feature (a provider value the leaf reports as undecided) gives an UndecidedVerdict.
 */
export async function evaluateBatch(
  posts: readonly ConsolidatedPost[],
  manifests: readonly EvaluableManifest[],
  providers: ReadonlyMap<string, FeatureProvider> = new Map(),
  memberships: Memberships = new Map(),
): Promise<Verdict[]> {
  const features = new Map<string, Map<string, unknown>>();
  const context: EvaluationContext = {
    // The provider of the request's kind computed the value, so it has the request's output type.
    feature: <Out>(request: FeatureRequest<unknown, Out>) => features.get(request.kind.name)?.get(request.key) as Out | undefined,
    membership: (setKey) => memberships.get(setKey),
  };
  const verdicts: Verdict[] = new Array(posts.length * manifests.length);
  let pendingPairs = posts.flatMap((post, p) => manifests.map((manifest, m) => ({ post, manifest, slot: p * manifests.length + m })));
  const provided = new Set<string>();
  while (pendingPairs.length) {
    const requests = new Map<string, FeatureRequest>();
    const next: typeof pendingPairs = [];
    for (const item of pendingPairs) {
      const trace: TraceEntry[] = [];
      const value = item.manifest.filter.run(item.post, context, trace);
      if (Array.isArray(value)) {
        for (const request of value) {
          const id = `${request.kind.name}\u0000${request.key}`;
          if (provided.has(id)) throw new EvaluationError(`${item.manifest.file}: feature ${request.kind.name}/${request.key} still pending after it was computed`);
          requests.set(id, request);
        }
        next.push(item);
      } else {
        const { post, manifest } = item;
        const about = { uri: post.uri, cid: post.cid, label: manifest.label.value, manifestVersion: manifest.version, explanation: trace };
        verdicts[item.slot] = isUndecidedValue(value) ? { ...about, matched: null, undecided: value.undecided } : { ...about, matched: value };
      }
    }
    await computeFeatures([...requests.values()], providers, features);
    for (const id of requests.keys()) provided.add(id);
    pendingPairs = next;
  }
  return verdicts;
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
