import type { FeatureProvider, FeatureRequest } from '../../src/core/features.ts';
import type { EvaluationContext } from '../../src/core/operator.ts';

/**
 * What `ask` answers once the features it asks of `providers` are computed (in one call per round, as the evaluator
 * computes a batch's), `context` answering every other feature: for a classifier's answers outside a manifest.
 * Asks of other kinds come back as they are.
 */
export async function settled<Answer>(ask: (context: EvaluationContext) => Answer | FeatureRequest[], providers: readonly FeatureProvider[], context: EvaluationContext): Promise<Answer | FeatureRequest[]> {
  const computed = new Map<string, Map<string, unknown>>(providers.map((p) => [p.kind.name, new Map()]));
  const inferring: EvaluationContext = {
    ...context,
    feature: <Out>(request: FeatureRequest<unknown, Out>) => {
      const own = computed.get(request.kind.name);
      return own ? (own.get(request.key) as Out | undefined) : context.feature(request);
    },
  };
  for (;;) {
    const answer = ask(inferring);
    if (!Array.isArray(answer)) return answer;
    const asked = answer.filter((r) => computed.has(r.kind.name));
    if (!asked.length) return answer;
    for (const provider of providers) {
      const mine = asked.filter((r) => r.kind.name === provider.kind.name);
      const outputs = await provider.compute(mine.map((r) => r.input));
      mine.forEach((r, i) => computed.get(provider.kind.name)!.set(r.key, outputs[i]));
    }
  }
}
