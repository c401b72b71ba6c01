import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { CompiledManifest } from '../manifests/load.ts';
import { UndecidedLeaf, type EvaluationContext, type FeatureProvider, type FeatureRequest } from '../operators/operator.ts';
import type { TraceEntry } from './compile.ts';

/** The outcome of one manifest on one post, with the leaves that decided it. */
export interface Verdict {
  uri: string;
  cid: string;
  label: string;
  manifestVersion: string;
  matched: boolean;
  explanation: TraceEntry[];
}

export type Memberships = ReadonlyMap<string, ReadonlySet<string>>;

export class EvaluationError extends Error {
  override name = 'EvaluationError';
}

/**
 * Evaluates every manifest on every post. Leaves that need features (embeddings, model scores)
 * report them as pending; each round computes all pending features of the batch with one call per
 * provider, then re-evaluates only the undecided pairs. Returns one verdict per (post, manifest), except
 * where a leaf could not decide (UndecidedLeaf): that manifest gives no verdict on that post.
 */
export async function evaluateBatch(
  posts: readonly ConsolidatedPost[],
  manifests: readonly CompiledManifest[],
  providers: ReadonlyMap<string, FeatureProvider> = new Map(),
  memberships: Memberships = new Map(),
): Promise<Verdict[]> {
  const features = new Map<string, Map<string, unknown>>();
  const context: EvaluationContext = {
    feature: (provider, key) => features.get(provider)?.get(key),
    membership: (setKey) => memberships.get(setKey),
  };
  const verdicts: Verdict[] = new Array(posts.length * manifests.length);
  let undecided = posts.flatMap((post, p) => manifests.map((manifest, m) => ({ post, manifest, slot: p * manifests.length + m })));
  const provided = new Set<string>();
  while (undecided.length) {
    const requests = new Map<string, FeatureRequest>();
    const next: typeof undecided = [];
    for (const item of undecided) {
      const trace: TraceEntry[] = [];
      let value;
      try {
        value = item.manifest.filter.run(item.post, context, trace);
      } catch (error) {
        if (error instanceof UndecidedLeaf) continue;
        throw error;
      }
      if (Array.isArray(value)) {
        for (const request of value) {
          const id = `${request.provider}\u0000${request.key}`;
          if (provided.has(id)) throw new EvaluationError(`${item.manifest.file}: feature ${request.provider}/${request.key} still pending after it was computed`);
          requests.set(id, request);
        }
        next.push(item);
      } else {
        verdicts[item.slot] = { uri: item.post.uri, cid: item.post.cid, label: item.manifest.label.value, manifestVersion: item.manifest.version, matched: value, explanation: trace };
      }
    }
    await computeFeatures([...requests.values()], providers, features);
    for (const id of requests.keys()) provided.add(id);
    undecided = next;
  }
  return verdicts.filter((v) => v !== undefined);
}

async function computeFeatures(requests: FeatureRequest[], providers: ReadonlyMap<string, FeatureProvider>, features: Map<string, Map<string, unknown>>) {
  const byProvider = new Map<string, FeatureRequest[]>();
  for (const request of requests) {
    const list = byProvider.get(request.provider);
    if (list) list.push(request);
    else byProvider.set(request.provider, [request]);
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
