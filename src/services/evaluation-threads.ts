import type { Config } from '../config.ts';
import type { FeatureProvider } from '../core/features.ts';
import type { Logger } from '../log.ts';
import { ThreadPool } from '../threads.ts';

/** Main → evaluation thread: compute these inputs with the provider of this kind. */
export interface EvaluationRequest {
  kind: string;
  inputs: unknown[];
}

export interface EvaluationThreads {
  /** The providers, with every threadable one computing on the threads. */
  providers: FeatureProvider[];
  close(): Promise<void>;
}

/**
 * EVALUATION_THREADS worker threads (`evaluation-worker.ts`) that compute the features of threadable providers
 * (model inference: political and toxicity scores): each thread opens the same capabilities from the same
 * configuration, so it loads the same model files, and a batch's inputs go over as plain arrays, split into one
 * contiguous run per thread. The evaluator keeps deciding on the main thread (rules cost microseconds a post);
 * only the features move. A run whose thread fails gets each provider's `failed` output (its leaves are
 * undecided: no label changes, the posts are decided when next seen), and the thread is replaced.
 */
export function evaluationThreads(providers: readonly FeatureProvider[], config: Config, logger: Logger, { start = false } = {}): EvaluationThreads {
  const pool = new ThreadPool<EvaluationRequest, unknown[]>({
    module: new URL('./evaluation-worker.ts', import.meta.url),
    workerData: { config: { ...config, EVALUATION_THREADS: 0 } satisfies Config },
    name: 'evaluation',
    size: config.EVALUATION_THREADS,
  });
  if (start) pool.start();
  const threaded = (provider: FeatureProvider): FeatureProvider => {
    const { threadable } = provider;
    if (!threadable) return provider;
    return {
      kind: provider.kind,
      threadable,
      compute: (inputs) =>
        pool.runAll(
          inputs,
          (run) => ({ kind: provider.kind.name, inputs: run }),
          (outputs) => outputs,
          (error, run) => {
            logger.warn({ err: error, feature: provider.kind.name, inputs: run.length }, 'an evaluation thread failed: those verdicts are undecided');
            return run.map(() => threadable.failed(`an evaluation thread failed: ${error.message}`));
          },
        ),
    };
  };
  return { providers: providers.map(threaded), close: () => pool.close() };
}
