import type Database from 'better-sqlite3';
import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { FeatureProvider } from './features.ts';

/**
 * What capabilities (models, political, llm, social) offer operators and the pipeline, opened once per
 * process. Each capability implements a `ServicePart`; `src/services/` composes them, and nothing
 * imports that composition back.
 */

/** The name of a compile-time service and, in its type, what the service is: lookups need no cast. */
export interface ServiceKey<T> {
  readonly name: string;
  /** Never set: carries the service's type for the checker. */
  readonly type?: T;
}

export const serviceKey = <T>(name: string): ServiceKey<T> => ({ name });

/** One service a capability offers, made by `provide` so that key and value agree. */
export interface ServiceEntry<T = unknown> {
  key: ServiceKey<T>;
  value: T;
}

export const provide = <T>(key: ServiceKey<T>, value: T): ServiceEntry<T> => ({ key, value });

/** The compile-time services of a process, by typed key. */
export class CompileServices {
  readonly #entries = new Map<ServiceKey<unknown>, unknown>();

  constructor(entries: Iterable<ServiceEntry> = []) {
    for (const { key, value } of entries) {
      if (this.#entries.has(key)) throw new Error(`the service "${key.name}" is offered twice`);
      this.#entries.set(key, value);
    }
  }

  get<T>(key: ServiceKey<T>): T | undefined {
    // Sound because entries are made by `provide`, which ties each value's type to its key's.
    return this.#entries.get(key) as T | undefined;
  }

  /** The service, or an error saying what is missing (a compile problem of the manifest that needs it). */
  require<T>(key: ServiceKey<T>, missing: string): T {
    const service = this.get(key);
    if (service === undefined) throw new Error(missing);
    return service;
  }
}

/** Membership snapshots of the social operators' sets, by set key. */
export type Memberships = ReadonlyMap<string, ReadonlySet<string>>;

/** A compiled manifest, as its file and content version. */
export interface ManifestRef {
  file: string;
  version: string;
}

/** What every capability's part may use when it opens. */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  /** Present in the service and replays; absent for offline commands such as `manifests validate`. */
  db?: Database.Database;
  /** The service's Prometheus registry, where a capability registers its own metrics; absent for offline commands. */
  registry?: Registry;
}

/** One capability's part of the services; `openServices` (src/services/) merges them. */
export interface ServicePart {
  compile?: ServiceEntry[];
  providers?: FeatureProvider[];
  memberships?: () => Memberships;
  observe?: (events: readonly unknown[]) => void;
  retain?: (manifests: readonly ManifestRef[]) => void;
  close?: () => Promise<void> | void;
}

/** Every capability's parts, merged: what manifests compile against and the pipeline evaluates with. */
export interface Services {
  compile: CompileServices;
  /** Feature providers by their kind's name. */
  providers: ReadonlyMap<string, FeatureProvider>;
  memberships(): Memberships;
  /** Shows every raw event batch to the capabilities that follow the stream (live graph updates), before evaluation. */
  observe(events: readonly unknown[]): void;
  /** Tells the capabilities which manifests are loaded now (after each reload), so they let go of what only replaced ones used. */
  retain(manifests: readonly ManifestRef[]): void;
  close(): Promise<void>;
}
