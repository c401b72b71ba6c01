import { CompileServices, type ServiceContext, type ServicePart, type Services } from '../core/services.ts';
import { openImages } from '../images/service.ts';
import { openLlm } from '../llm/service.ts';
import { openModels } from '../models/service.ts';
import { openPolitical } from '../political/classifier.ts';
import { openSocial } from '../social/index.ts';
import { openToxicity } from '../toxicity/classifier.ts';

type PartFactory = (context: ServiceContext) => Promise<ServicePart> | ServicePart;

/** Every capability, one line each. The composition root: only the service and the CLI import it. */
const parts: PartFactory[] = [openModels, openPolitical, openToxicity, openLlm, openSocial, openImages];

/**
 * Opens every capability once per process and merges their parts: the services operators look up
 * while compiling (embedders, classifiers, membership sets), the feature providers evaluation calls
 * for pending leaves, and the membership snapshots of social operators.
 */
export async function openServices(context: ServiceContext): Promise<Services> {
  const opened = await Promise.all(parts.map((open) => open(context)));
  const observers = opened.flatMap((p) => (p.observe ? [p.observe] : []));
  const retainers = opened.flatMap((p) => (p.retain ? [p.retain] : []));
  const membershipSources = opened.flatMap((p) => (p.memberships ? [p.memberships] : []));
  return {
    compile: new CompileServices(opened.flatMap((p) => p.compile ?? [])),
    providers: new Map(opened.flatMap((p) => (p.providers ?? []).map((provider) => [provider.kind.name, provider] as const))),
    memberships: () => new Map(membershipSources.flatMap((source) => [...source()])),
    observe: (events) => {
      for (const observe of observers) observe(events);
    },
    retain: (manifests) => {
      for (const retain of retainers) retain(manifests);
    },
    async close() {
      for (const part of opened) await part.close?.();
    },
  };
}
