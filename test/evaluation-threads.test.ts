import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { decideBatch, evaluateBatch } from '../src/evaluate/index.ts';
import { createLogger } from '../src/log.ts';
import { compileManifest, loadManifestFiles } from '../src/manifests/load.ts';
import { SHIPPED_MODELS_DIR } from '../src/models/model-file.ts';
import { POLITICAL_SCORES } from '../src/political/classifier.ts';
import { POLITICAL_MODEL_FILE } from '../src/political/load.ts';
import { evaluationThreads } from '../src/services/evaluation-threads.ts';
import { openServices } from '../src/services/index.ts';
import type { Services } from '../src/core/services.ts';
import { TOXICITY_SCORE } from '../src/toxicity/classifier.ts';
import { recordedPosts } from './support/recorded-posts.ts';

const silent = createLogger('silent');
const SHIPPED = fs
  .readdirSync('manifests')
  .filter((f) => f.endsWith('.json'))
  .map((f) => path.join('manifests', f));
const TOXIC = JSON.stringify({ label: { value: 'toxic' }, filter: { toxicity_analysis: ['Toxic', '>=', 0.5] } });

/** The shipped manifests and a toxicity manifest, compiled against `services`. */
async function manifestsFor(services: Services) {
  const { manifests, problems } = await loadManifestFiles(SHIPPED, { services: services.compile });
  assert.deepEqual(problems, []);
  const { manifest: toxic } = await compileManifest('toxic.json', TOXIC, { services: services.compile });
  return [...manifests, toxic!];
}

describe('evaluation on worker threads (EVALUATION_THREADS)', () => {
  const posts = recordedPosts();
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('decides the recorded capture exactly as in the process, the model scores computed on the threads', async () => {
    const inProcess = await openServices({ config: loadConfig({ EVALUATION_THREADS: '0' }), logger: silent });
    const threaded = await openServices({ config: loadConfig({ EVALUATION_THREADS: '2' }), logger: silent });
    try {
      for (const kind of [POLITICAL_SCORES, TOXICITY_SCORE]) assert.ok(threaded.providers.get(kind.name)?.threadable, `${kind.name} runs on the threads`);
      const expected = await evaluateBatch(posts, await manifestsFor(inProcess), inProcess.providers);
      const got = await evaluateBatch(posts, await manifestsFor(threaded), threaded.providers);
      assert.equal(got.length, posts.length * (SHIPPED.length + 1));
      assert.deepEqual(got, expected);
      for (const label of ['political', 'political-left']) assert.ok(got.some((v) => v.label === label && v.matched), `${label} labels some posts`);
      const toxic = got.filter((v) => v.label === 'toxic');
      assert.ok(toxic.every((v) => v.matched !== null) && new Set(toxic.map((v) => v.explanation[0]!.score)).size > posts.length / 2, 'toxicity scored on every post');
      // Small batches too (one post, so one thread gets nothing), as the live stream sends them.
      for (const post of posts.slice(0, 5)) assert.deepEqual(await evaluateBatch([post], await manifestsFor(threaded), threaded.providers), await evaluateBatch([post], await manifestsFor(inProcess), inProcess.providers));
    } finally {
      await inProcess.close();
      await threaded.close();
    }
  });

  it('leaves the verdicts of a failed thread undecided, decides the rest, and replaces the thread', async () => {
    const services = await openServices({ config: loadConfig({ EVALUATION_THREADS: '0' }), logger: silent });
    const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-threads-'));
    dirs.push(modelsDir);
    // The threads load their models from MODELS_DIR: a broken political model makes a thread fail as it starts.
    fs.mkdirSync(path.dirname(path.join(modelsDir, POLITICAL_MODEL_FILE)), { recursive: true });
    fs.writeFileSync(path.join(modelsDir, POLITICAL_MODEL_FILE), '{}');
    const threads = evaluationThreads([...services.providers.values()], loadConfig({ EVALUATION_THREADS: '1', MODELS_DIR: modelsDir }), silent);
    try {
      const manifests = await manifestsFor(services);
      const providers = new Map(threads.providers.map((p) => [p.kind.name, p]));
      const failed = await decideBatch(posts, manifests, providers);
      const political = manifests.findIndex((m) => m.label.value === 'political');
      const art = manifests.findIndex((m) => m.label.value === 'art');
      for (let p = 0; p < posts.length; p++) {
        const i = p * manifests.length;
        assert.equal(failed.matched(i + political), null);
        assert.match(failed.undecided(i + political)!, /political: an evaluation thread failed: evaluation thread stopped: .*not a political model/);
        assert.notEqual(failed.matched(i + art), null, 'rule manifests still decide');
      }
      // The thread that could not start is replaced at the next batch: with the model repaired, it answers as the process does.
      fs.copyFileSync(path.join(SHIPPED_MODELS_DIR, POLITICAL_MODEL_FILE), path.join(modelsDir, POLITICAL_MODEL_FILE));
      assert.deepEqual((await decideBatch(posts, manifests, providers)).verdicts(), await evaluateBatch(posts, manifests, services.providers));
    } finally {
      await threads.close();
      await services.close();
    }
  });

  it('EVALUATION_THREADS takes 0 to 64 threads and says so otherwise', () => {
    assert.equal(loadConfig({ EVALUATION_THREADS: '0' }).EVALUATION_THREADS, 0);
    assert.ok(loadConfig({}).EVALUATION_THREADS >= 0);
    assert.throws(() => loadConfig({ EVALUATION_THREADS: '-1' }), /EVALUATION_THREADS/);
  });
});
