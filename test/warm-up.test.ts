import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import type { FeatureProvider } from '../src/core/features.ts';
import type { Services } from '../src/core/services.ts';
import { Labeler } from '../src/label/index.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { loadManifestFiles, manifestFiles, type CompiledManifest } from '../src/manifests/load.ts';
import { openServices } from '../src/services/index.ts';
import { openDatabase } from '../src/store/database.ts';
import { warmUp } from '../src/warm-up.ts';

const silent = pino({ level: 'silent' });

describe('start-up warm-up', () => {
  let dataDir: string;
  let services: Services;
  let manifests: CompiledManifest[];
  let labeler: Labeler;
  let db: ReturnType<typeof openDatabase>['db'];

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-warm-up-'));
    ({ db } = openDatabase(path.join(dataDir, 'skysift.sqlite')));
    services = await openServices({ config: loadConfig({ LOG_LEVEL: 'silent' }), logger: silent, db });
    ({ manifests } = await loadManifestFiles(manifestFiles('manifests'), { services: services.compile }));
    labeler = new Labeler({ identity: await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), silent), db, dataDir, logger: silent, signingThreads: 1 });
  });
  after(async () => {
    await labeler.close();
    await services.close();
    db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The services with each provider's computed inputs counted, and the ones named in `remote` marked remote. */
  const counted = (remote: readonly string[] = []) => {
    const inputs = new Map<string, number>();
    const providers = new Map(
      [...services.providers].map(([name, provider]): [string, FeatureProvider] => [
        name,
        {
          ...provider,
          ...(remote.includes(name) && { remote: true as const }),
          compute: (list: unknown[]) => {
            inputs.set(name, (inputs.get(name) ?? 0) + list.length);
            return provider.compute(list);
          },
        },
      ]),
    );
    return { services: { ...services, providers }, inputs };
  };

  it('runs the shipped manifests\' models and the signer on sample posts, and keeps nothing', async () => {
    const { services: watched, inputs } = counted();
    await warmUp({ manifests, services: watched, labeler, posts: 32, rounds: 2 });
    assert.ok((inputs.get('political-scores') ?? 0) >= 32, `the political model saw the sample posts (${inputs.get('political-scores')})`);
    assert.equal(await labeler.store.head(), 0, 'no label committed');
    assert.equal(db.prepare('SELECT count(*) FROM posts').pluck().get(), 0, 'no post stored');
  });

  it('never asks a feature that calls another service about sample posts, and still completes', async () => {
    const { services: watched, inputs } = counted(['political-scores']);
    await warmUp({ manifests, services: watched, labeler, posts: 32, rounds: 2 });
    assert.equal(inputs.get('political-scores'), undefined, 'the remote feature was never asked');
  });
});
