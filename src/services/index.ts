import type Database from 'better-sqlite3';
import type { Config } from '../config.ts';
import { openLlm } from '../llm/service.ts';
import type { Memberships } from '../evaluate/index.ts';
import type { Logger } from '../log.ts';
import { openSocial } from '../social/index.ts';
import type { ManifestRef } from '../social/registry.ts';
import type { FeatureProvider } from '../operators/operator.ts';
import { openMlServices } from './ml.ts';
import { politicalServicePart } from '../political/classifier.ts';

/**
 * What operators need beyond the post, opened once per process and shared by every manifest:
 * services they look up while compiling (embedders, classifiers, graph caches), the feature
 * providers evaluation calls for pending leaves, and the membership snapshots of social operators.
 */
export interface Services {
  compile: ReadonlyMap<string, unknown>;
  providers: ReadonlyMap<string, FeatureProvider>;
  memberships(): Memberships;
  /** Shows every raw event batch to the capabilities that follow the stream (live graph updates), before evaluation. */
  observe(events: readonly unknown[]): void;
  /** Tells the capabilities which manifests are loaded now (after each reload), so they let go of what only replaced ones used. */
  retain(manifests: readonly ManifestRef[]): void;
  close(): Promise<void>;
}

/** One capability's part of the services; `openServices` merges them. */
export interface ServicePart {
  compile?: Record<string, unknown>;
  providers?: FeatureProvider[];
  memberships?: () => Memberships;
  observe?: (events: readonly unknown[]) => void;
  retain?: (manifests: readonly ManifestRef[]) => void;
  close?: () => Promise<void> | void;
}

export interface ServiceContext {
  config: Config;
  logger: Logger;
  /** Present in the service and replays; absent for offline commands such as `manifests validate`. */
  db?: Database.Database;
}

type PartFactory = (context: ServiceContext) => Promise<ServicePart> | ServicePart;

/** Every capability, one line each. */
const parts: PartFactory[] = [openMlServices, politicalServicePart, openLlm, openSocial];

export async function openServices(context: ServiceContext): Promise<Services> {
  const opened = await Promise.all(parts.map((open) => open(context)));
  const observers = opened.flatMap((p) => (p.observe ? [p.observe] : []));
  const retainers = opened.flatMap((p) => (p.retain ? [p.retain] : []));
  const membershipSources = opened.flatMap((p) => (p.memberships ? [p.memberships] : []));
  return {
    compile: new Map(opened.flatMap((p) => Object.entries(p.compile ?? {}))),
    providers: new Map(opened.flatMap((p) => (p.providers ?? []).map((provider) => [provider.name, provider] as const))),
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
