import { CompileServices, type ServiceContext, type Services } from '../core/services.ts';
import { openImages } from '../images/service.ts';
import { openLlm } from '../llm/service.ts';
import { openModels } from '../models/service.ts';
import { openSocial } from '../social/index.ts';
import { evaluationThreads } from './evaluation-threads.ts';
import { threadableParts, type PartFactory } from './threadable-parts.ts';

/** Every capability, one line each (those evaluation threads open too in threadable-parts.ts). The composition root: only the service and the CLI import it. */
const parts: PartFactory[] = [openModels, ...threadableParts, openLlm, openSocial, openImages];

export interface OpenOptions {
  /** Start the evaluation threads now rather than at the first feature they compute (the service: no wait on its first batch). */
  startThreads?: boolean;
}

/**
 * Opens every capability once per process and merges their parts: the services operators look up
 * while compiling (embedders, classifiers, membership sets), the feature providers evaluation calls
 * for pending leaves (threadable ones on EVALUATION_THREADS worker threads, when above 0), and the
 * membership snapshots of social operators.
 */
export async function openServices(context: ServiceContext, { startThreads = false }: OpenOptions = {}): Promise<Services> {
  const opened = await Promise.all(parts.map((open) => open(context)));
  const providers = opened.flatMap((p) => p.providers ?? []);
  const threadable = new Set(opened.filter((_, i) => threadableParts.includes(parts[i]!)).flatMap((p) => p.providers ?? []));
  const stray = providers.find((p) => p.threadable && !threadable.has(p));
  if (stray) throw new Error(`the feature provider "${stray.kind.name}" is threadable, but its capability is not among the parts evaluation threads open (src/services/threadable-parts.ts)`);
  const threads = context.config.EVALUATION_THREADS > 0 && providers.some((p) => p.threadable) ? evaluationThreads(providers, context.config, context.logger, { start: startThreads }) : undefined;
  const observers = opened.flatMap((p) => (p.observe ? [p.observe] : []));
  const retainers = opened.flatMap((p) => (p.retain ? [p.retain] : []));
  const membershipSources = opened.flatMap((p) => (p.memberships ? [p.memberships] : []));
  return {
    compile: new CompileServices(opened.flatMap((p) => p.compile ?? [])),
    providers: new Map((threads?.providers ?? providers).map((provider) => [provider.kind.name, provider] as const)),
    memberships: () => new Map(membershipSources.flatMap((source) => [...source()])),
    observe: (events) => {
      for (const observe of observers) observe(events);
    },
    retain: (manifests) => {
      for (const retain of retainers) retain(manifests);
    },
    async close() {
      await threads?.close();
      for (const part of opened) await part.close?.();
    },
  };
}
