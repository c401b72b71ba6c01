import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig, redactConfig } from '../src/config.ts';
import { consolidateJetstreamEvent } from '../src/consolidate/index.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { LlmCache } from '../src/llm/cache.ts';
import { LlmClassifier, textHash, type LlmClassifierOptions } from '../src/llm/classifier.ts';
import { RequestLimiter } from '../src/llm/limiter.ts';
import { PROMPT_VERSION } from '../src/llm/prompt.ts';
import { createLogger } from '../src/log.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { Metrics } from '../src/metrics.ts';
import { createPipeline } from '../src/pipeline.ts';
import { openServices } from '../src/services/index.ts';
import { PostStore } from '../src/store/posts.ts';
import type Database from 'better-sqlite3';
import { openDatabase } from '../src/store/database.ts';
import { recordedEvents } from './support/capture.ts';
import { ChatCompletionsServer, ruleAnswer } from './support/chat-completions-server.ts';

const API_KEY = 'sk-test-9f3a61c0d4e2b7';
const silent = pino({ level: 'silent' });
const EXAMPLE = 'manifests/examples/political-llm.json';

const texts = (n: number, prefix = 'post') => Array.from({ length: n }, (_, i) => (i % 2 ? `${prefix} ${i}: vote in the election` : `${prefix} ${i}: my cat sleeps`));
const expectedAnswer = (text: string) => ruleAnswer(text) as { is_sociopolitical: boolean; political_ideology: string };

function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('trace', { destination }), output: () => lines.join('') };
}

describe('llm classification', () => {
  let server: ChatCompletionsServer;
  let baseUrl: string;
  let dir: string;
  let db: Database.Database;
  const open: Database.Database[] = [];

  const classifier = (options: Partial<LlmClassifierOptions> = {}) =>
    new LlmClassifier({
      baseUrl,
      model: 'test-model',
      apiKey: API_KEY,
      timeoutMs: 2000,
      batchSize: 4,
      concurrency: 2,
      requestsPerMinute: 60_000,
      maxAttempts: 3,
      backoffBaseMs: 5,
      db,
      logger: silent,
      ...options,
    });
  const reopen = () => {
    const opened = openDatabase(path.join(dir, 'skysift.sqlite')).db;
    open.push(opened);
    return opened;
  };

  beforeEach(async () => {
    server = new ChatCompletionsServer();
    baseUrl = await server.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-llm-'));
    db = reopen();
  });
  afterEach(async () => {
    await server.close();
    for (const d of open.splice(0)) d.close();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(server.rejected, [], 'every request had the chat-completions shape');
  });

  it('sends N posts in ceil(N / batch size) requests, with the model, key and schema, and maps answers back by id', async () => {
    const input = [...texts(10), texts(10)[3]!];
    const results = await classifier().classify(input);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(server.requests.map((r) => r.posts.length).sort(), [2, 4, 4]);
    for (const request of server.requests) {
      assert.equal(request.authorization, `Bearer ${API_KEY}`);
      assert.deepEqual(
        request.posts.map((p) => p.id),
        request.posts.map((_, i) => String(i)),
      );
    }
    assert.deepEqual(results, input.map(expectedAnswer));
  });

  it('answers again from the cache, also after the database file is reopened, and never reuses another model or prompt', async () => {
    const input = texts(6);
    const first = await classifier().classify(input);
    const again = classifier();
    assert.deepEqual(await again.classify(input), first);
    assert.equal(server.requests.length, 2, 'the second evaluation made no request');
    assert.equal(again.stats.cacheHits, 6);
    db.close();
    db = reopen();
    const restarted = classifier();
    assert.deepEqual(await restarted.classify(input), first);
    assert.equal(server.requests.length, 2, 'the cache survived reopening the file');
    assert.deepEqual(new LlmCache(db, 'test-model', PROMPT_VERSION).get(textHash(input[1]!)), expectedAnswer(input[1]!));
    assert.equal(new LlmCache(db, 'other-model', PROMPT_VERSION).get(textHash(input[1]!)), undefined);
    assert.equal(new LlmCache(db, 'test-model', 'older-prompt').get(textHash(input[1]!)), undefined);
  });

  it('waits for retry-after on 429, then succeeds', async () => {
    server.faults.push({ status: 429, retryAfter: '1' });
    const results = await classifier().classify(texts(3));
    assert.equal(server.requests.length, 2);
    assert.ok(server.requests[1]!.at - server.requests[0]!.at >= 950, `retried after ${server.requests[1]!.at - server.requests[0]!.at} ms`);
    assert.deepEqual(results, texts(3).map(expectedAnswer));
  });

  it('retries a 500 and an unreadable answer (not JSON, wrong shape) with backoff', async () => {
    server.faults.push({ status: 500 }, { content: 'Sure! Here are the classifications you asked for:' }, { content: '{"answers": []}' });
    const c = classifier({ maxAttempts: 4 });
    const results = await c.classify(texts(3));
    assert.equal(server.requests.length, 4);
    assert.deepEqual(results, texts(3).map(expectedAnswer));
    assert.equal(c.stats.failed, 0);
  });

  it('retries a request that timed out', async () => {
    server.faults.push({ delayMs: 1500 });
    const { logger, output } = capturedLogger();
    const results = await classifier({ timeoutMs: 300, logger }).classify(texts(2));
    assert.equal(server.requests.length, 2);
    assert.deepEqual(results, texts(2).map(expectedAnswer));
    assert.match(output(), /no answer within 300 ms/);
  });

  it('keeps a partial answer and asks again only for the posts it left out', async () => {
    const input = texts(4, 'partial');
    server.faults.push({ omit: 'partial 2' });
    const results = await classifier().classify(input);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(
      server.requests[1]!.posts.map((p) => p.text),
      [input[2]],
    );
    assert.deepEqual(results, input.map(expectedAnswer));
  });

  it('keeps the complete entries of a truncated answer, drops the cut one and asks again for the rest', async () => {
    const input = texts(4, 'cut');
    const full = JSON.stringify({ results: input.map((text, i) => ({ id: String(i), ...expectedAnswer(text) })) });
    const cut = full.slice(0, full.indexOf('"id":"2"') + 30);
    server.faults.push({ content: cut });
    const results = await classifier().classify(input);
    assert.deepEqual(
      server.requests[1]!.posts.map((p) => p.text),
      [input[2], input[3]],
    );
    assert.deepEqual(results, input.map(expectedAnswer));
  });

  it('gives up after the last attempt: the posts get an error, are counted, and nothing is cached', async () => {
    server.faultFor = () => ({ status: 503 });
    const c = classifier();
    const results = await c.classify(texts(2));
    assert.equal(server.requests.length, 3, 'maxAttempts requests');
    for (const r of results) assert.match((r as { error: string }).error, /HTTP 503/);
    assert.equal(c.stats.failed, 2);
    server.faultFor = () => ({ status: 401, body: 'bad key' });
    const denied = classifier();
    await denied.classify(['another text']);
    assert.equal(server.requests.length, 4, 'a 401 is not retried');
    server.faultFor = undefined;
    await classifier().classify(texts(2));
    assert.equal(server.requests.length, 5, 'failures were not cached');
  });

  it('keeps at most LLM_CONCURRENCY requests in flight', async () => {
    server.holdMs = 150;
    await classifier({ batchSize: 1, concurrency: 3 }).classify(texts(9));
    assert.equal(server.requests.length, 9);
    assert.equal(server.maxInFlight, 3);
  });

  it('spaces request starts to stay under LLM_REQUESTS_PER_MINUTE', async () => {
    // Arrival times at the server jitter with the loopback and the event loop; the limiter's promise is about
    // when the client starts a request, so that is what is timed, on the clock the limiter reads.
    const limiter = new RequestLimiter(4, 600);
    const starts: number[] = [];
    await Promise.all(texts(4).map(() => limiter.run(async () => starts.push(Date.now()))));
    // The limiter claims a start slot, then calls the task; a GC pause between the two (seen at load ~14) delays the
    // task's own clock read by a few ms, so the gaps it sees may be that much short of the 100 ms the limiter kept.
    // Without the limiter the gaps are ~0 ms, so the bound still tells spacing from none.
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 1]! >= 90, `gap ${starts[i]! - starts[i - 1]!} ms`);
    const started = Date.now();
    await classifier({ batchSize: 1, concurrency: 4, requestsPerMinute: 600 }).classify(texts(4));
    assert.equal(server.requests.length, 4);
    assert.ok(Date.now() - started >= 300, 'the classifier waits its turn between requests');
  });

  it('never writes the API key to the logs, even when the server echoes it', async () => {
    const { logger, output } = capturedLogger();
    server.faultFor = (request) => ({ status: 401, body: `invalid key: ${request.authorization}` });
    const config = loadConfig({ LLM_BASE_URL: baseUrl, LLM_MODEL: 'test-model', LLM_API_KEY: API_KEY });
    logger.info({ config: redactConfig(config) }, 'starting');
    const services = await openServices({ config, logger, db });
    const [result] = await services.providers.get('llm')!.compute(['a text']);
    await services.close();
    assert.match((result as { error: string }).error, /invalid key: Bearer \[redacted\]/);
    assert.ok(output().includes('LLM request failed'), 'the failure was logged');
    assert.ok(!output().includes(API_KEY), 'the key is not in the log');
  });

  it('reads the key from LLM_API_KEY_FILE', async () => {
    fs.writeFileSync(path.join(dir, 'key'), `${API_KEY}\n`);
    const services = await openServices({ config: loadConfig({ LLM_BASE_URL: baseUrl, LLM_MODEL: 'test-model', LLM_API_KEY_FILE: path.join(dir, 'key') }), logger: silent, db });
    await services.providers.get('llm')!.compute(['a text']);
    await services.close();
    assert.equal(server.requests[0]!.authorization, `Bearer ${API_KEY}`);
  });
});

describe('llm_classification manifests', () => {
  let server: ChatCompletionsServer;
  let baseUrl: string;
  let dir: string;
  const posts = recordedEvents()
    .map(consolidateJetstreamEvent)
    .flatMap((r) => (r.kind === 'post' ? [r.post] : []));
  const english = posts.filter((p) => p.record.langs?.includes('en'));

  before(async () => {
    server = new ChatCompletionsServer();
    baseUrl = await server.start();
  });
  after(() => server.close());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-llm-manifest-'));
    server.requests.length = 0;
    server.faultFor = undefined;
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(server.rejected, [], 'every request had the chat-completions shape');
  });

  const llmConfig = () =>
    loadConfig({ DATA_DIR: dir, LLM_BASE_URL: baseUrl, LLM_MODEL: 'test-model', LLM_API_KEY: API_KEY, LLM_BATCH_SIZE: '5', LLM_MAX_ATTEMPTS: '2', LLM_REQUESTS_PER_MINUTE: '60000' });

  it('is rejected at load, with a clear message, when LLM_BASE_URL is unset', async () => {
    const services = await openServices({ config: loadConfig({}), logger: silent });
    const { manifest, problems } = await compileManifest(EXAMPLE, fs.readFileSync(EXAMPLE, 'utf8'), { services: services.compile });
    assert.equal(manifest, undefined);
    assert.deepEqual(problems, [
      { path: 'filter.and[1].llm_classification', message: 'llm_classification needs an LLM endpoint: set LLM_BASE_URL and LLM_MODEL (and LLM_API_KEY if the endpoint wants one)' },
    ]);
    await assert.rejects(openServices({ config: loadConfig({ LLM_BASE_URL: baseUrl }), logger: silent }), /LLM_BASE_URL is set but LLM_MODEL is not/);
  });

  it('rejects unknown categories and comparators', async () => {
    const services = await openServices({ config: llmConfig(), logger: silent });
    const bad = JSON.stringify({ label: { value: 'x' }, filter: { llm_classification: ['leftish', '~', 1] } });
    const { problems } = await compileManifest('bad.json', bad, { services: services.compile });
    await services.close();
    assert.deepEqual(
      problems.map((p) => p.path),
      ['filter.llm_classification[0]', 'filter.llm_classification[1]'],
    );
    assert.match(problems[0]!.message, /unknown category "leftish"/);
  });

  it('evaluates the example manifest over recorded posts: English posts only, batched, labelled as the model answered', async () => {
    const { db } = openDatabase(path.join(dir, 'skysift.sqlite'));
    const services = await openServices({ config: llmConfig(), logger: silent, db });
    const { manifest, problems } = await compileManifest(EXAMPLE, fs.readFileSync(EXAMPLE, 'utf8'), { services: services.compile });
    assert.deepEqual(problems, []);
    const verdicts = await evaluateBatch(posts, [manifest!], services.providers);
    const asked = new Set(english.map((p) => p.record.text).filter((t) => t.trim()));
    assert.ok(asked.size >= 5 && english.length < posts.length, 'the recording has English and other posts');
    assert.equal(server.requests.length, Math.ceil(asked.size / 5));
    assert.deepEqual(new Set(server.requests.flatMap((r) => r.posts.map((p) => p.text))), asked);
    const expected = posts.map((p) => Boolean(p.record.langs?.includes('en')) && expectedAnswer(p.record.text).is_sociopolitical);
    assert.ok(expected.some(Boolean) && !expected.every(Boolean), 'the recording has political and other English posts');
    assert.deepEqual(
      verdicts.map((v) => v.matched),
      expected,
    );
    const political = verdicts.find((v) => v.matched)!;
    assert.deepEqual(political.explanation.at(-1), {
      path: 'filter.and[1].llm_classification',
      op: 'llm_classification',
      result: true,
      inputs: expectedAnswer(posts.find((p) => p.uri === political.uri)!.record.text),
      score: 1,
    });
    await evaluateBatch(posts, [manifest!], services.providers);
    assert.equal(server.requests.length, Math.ceil(asked.size / 5), 'a second pass is answered from the cache');
    await services.close();
    db.close();
  });

  it('labels nothing when the LLM fails, not even under not, counts the undecided verdicts, and labels on a later sighting', async () => {
    const { db } = openDatabase(path.join(dir, 'skysift.sqlite'));
    const config = llmConfig();
    const services = await openServices({ config, logger: silent, db });
    const notPolitical = JSON.stringify({ label: { value: 'not-political-llm' }, filter: { not: { llm_classification: ['sociopolitical', '==', 1] } } });
    const manifests = await Promise.all([
      compileManifest(EXAMPLE, fs.readFileSync(EXAMPLE, 'utf8'), { services: services.compile }),
      compileManifest('not.json', notPolitical, { services: services.compile }),
    ]);
    const compiled = manifests.map((m) => m.manifest!);
    const labeler = new Labeler({ identity: await resolveIdentity(config, silent), db, dataDir: dir, logger: silent });
    const metrics = new Metrics();
    const { logger, output } = capturedLogger();
    const pipeline = createPipeline({ labeler, manifests: () => compiled, services, store: new PostStore(db), logger, metrics });
    server.faultFor = () => ({ status: 500 });
    const events = recordedEvents();
    const failed = await pipeline(events);
    const withoutText = posts.filter((p) => !p.record.text.trim()).map((p) => `${p.uri} not-political-llm`);
    assert.ok(withoutText.length > 0, 'the recording has an image-only post');
    assert.deepEqual(
      failed.labelled.map((r) => `${r.uri} ${r.val}`),
      withoutText,
      'only posts decided without the LLM (no text) are labelled',
    );
    assert.equal(failed.negated.length, 0);
    assert.ok(server.requests.length > 0);
    const undecided = (await metrics.undecidedVerdicts.get()).values;
    const count = (label: string) => undecided.find((v) => v.labels.label === label)?.value ?? 0;
    const withText = posts.filter((p) => p.record.text.trim());
    assert.equal(count('political-llm'), english.filter((p) => p.record.text.trim()).length);
    assert.equal(count('not-political-llm'), withText.length);
    for (const post of withText) assert.deepEqual(await labeler.store.forSubject(post.uri), []);
    const warned = output()
      .split('\n')
      .filter((line) => line.includes('verdicts left undecided'));
    assert.equal(warned.length, 1, 'one log line for the batch');
    assert.match(warned[0]!, /HTTP 500/);
    server.faultFor = undefined;
    const later = await pipeline(events);
    const political = new Set(posts.filter((p) => expectedAnswer(p.record.text).is_sociopolitical).map((p) => p.uri));
    assert.deepEqual(new Set(later.labelled.filter((r) => r.val === 'not-political-llm').map((r) => r.uri)), new Set(withText.filter((p) => !political.has(p.uri)).map((p) => p.uri)));
    assert.ok(later.labelled.some((r) => r.val === 'political-llm'));
    await labeler.close();
    await services.close();
    db.close();
  });
});
