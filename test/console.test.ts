import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { ReportStore } from '../src/moderation/reports.ts';
import { openDatabase } from '../src/store/database.ts';
import { FAILURES_PER_MINUTE } from '../src/console/auth.ts';
import { CONSOLE_TOKEN, capturedPosts, regexManifest, startConsoleService, type ConsoleService } from './support/console-service.ts';
import { queryAllLabels } from './support/label-verifier.ts';

const BEARER = { authorization: `Bearer ${CONSOLE_TOKEN}` };
const CURRENT = regexManifest('mentions-the', '\\bthe\\b');
const EDITED = regexManifest('mentions-the', '\\b(the|a)\\b');

/** What a manifest matches among the recorded posts, by the evaluator the service runs. */
async function matchesOf(manifest: object): Promise<Set<string>> {
  const { manifest: compiled } = await compileManifest('m.json', JSON.stringify(manifest));
  return new Set((await evaluateBatch(capturedPosts(), [compiled!])).filter((v) => v.matched).map((v) => v.uri));
}

describe('operator console: the API behind the page', () => {
  let run: ConsoleService;
  let base: string;
  const api = async (route: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}/api/${route}`, { ...init, headers: { ...BEARER, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers } });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const job = async (started: { body: Record<string, any> }) => {
    for (;;) {
      const { body } = await api(`jobs/${started.body.id}`);
      if (body.state !== 'running') return body;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  before(async () => {
    run = await startConsoleService({ 'mentions-the.json': CURRENT });
    base = run.consoleUrl;
  });
  after(() => run.close());

  it('serves nothing without the token: API 401, pages to the login, a wrong token refused', async () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/console$/, 'bound to loopback');
    assert.equal((await fetch(`${base}/api/manifests`)).status, 401);
    for (const page of ['', '/app.js', '/app.css']) {
      const response = await fetch(`${base}${page}`, { redirect: 'manual' });
      assert.equal(response.status, 302, page);
      assert.equal(response.headers.get('location'), '/console/login');
    }
    assert.equal((await fetch(`${base}/api/manifests`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status, 401);
    const wrong = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ token: 'guess' }), redirect: 'manual' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.equal((await fetch(`${base}/login`)).status, 200, 'the login page itself needs no token');
  });

  it('logs in with an HttpOnly SameSite=Strict cookie; writes need the CSRF header and the same origin', async () => {
    const login = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ token: CONSOLE_TOKEN }), redirect: 'manual' });
    assert.equal(login.status, 303);
    const cookie = login.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.ok(!cookie.includes(CONSOLE_TOKEN), 'the cookie is not the token');
    const session = { cookie: cookie.split(';')[0]! };
    const { csrf } = (await (await fetch(`${base}/api/session`, { headers: session })).json()) as { csrf: string };
    const file = path.join(run.manifestsDir, 'mentions-the.json');
    const before = fs.readFileSync(file, 'utf8');
    const write = (headers: Record<string, string>) =>
      fetch(`${base}/api/manifests/mentions-the.json`, { method: 'PUT', headers: { ...session, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ text: before }) });
    assert.equal((await write({})).status, 403, 'a cookie alone does not write');
    assert.equal((await write({ 'x-skysift-csrf': csrf, origin: 'http://evil.example' })).status, 403, 'cross-origin write refused');
    const crossBearer = await fetch(`${base}/api/manifests/mentions-the.json`, {
      method: 'PUT',
      headers: { ...BEARER, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ text: before }),
    });
    assert.equal(crossBearer.status, 403, 'cross-origin write refused with the bearer token too');
    assert.equal((await write({ 'x-skysift-csrf': csrf, origin: new URL(base).origin })).status, 200, 'same origin with the CSRF header writes');
    assert.equal(fs.readFileSync(file, 'utf8'), before);
  });

  it('never reaches outside the manifests directory nor edits credentials', async () => {
    assert.equal((await api('manifests/..%2Fskysift.sqlite')).status, 400);
    assert.equal((await api('manifests/..%2Fevil.json', { method: 'PUT', body: JSON.stringify({ text: '{}' }) })).status, 400);
    const withAuthor = { ...CURRENT, author: { handle: 'did:plc:x', password: { file: '/etc/passwd' }, service: 'https://evil.example' } };
    const refused = await api('manifests/mentions-the.json', { method: 'PUT', body: JSON.stringify({ text: JSON.stringify(withAuthor), confirmBroken: true }) });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error, /author/);
    const everything = JSON.stringify([(await api('health')).body, (await api('manifests')).body]);
    assert.ok(!everything.includes(CONSOLE_TOKEN));
  });

  it('lists manifests with their status and label counts, validates with the loader and refuses a broken save without confirmation', async () => {
    const labelled = (await matchesOf(CURRENT)).size;
    const list = await api('manifests');
    assert.deepEqual(
      list.body.manifests.map((m: Record<string, unknown>) => [m.name, m.label, m.status, m.active]),
      [['mentions-the.json', 'mentions-the', 'loaded', labelled]],
    );
    assert.equal(list.body.posts.stored, capturedPosts().length);
    const broken = JSON.stringify({ ...CURRENT, filter: { regex_match: ['text', 'x'] } });
    const { body } = await api('manifests/mentions-the.json/validate', { method: 'POST', body: JSON.stringify({ text: broken }) });
    assert.equal(body.problems[0].path, 'filter.regex_match');
    assert.match(body.problems[0].message, /regex_match/);
    const refused = await api('manifests/mentions-the.json', { method: 'PUT', body: JSON.stringify({ text: broken }) });
    assert.equal(refused.status, 409);
    assert.equal(fs.readFileSync(path.join(run.manifestsDir, 'mentions-the.json'), 'utf8').includes('regex_match"'), false, 'nothing written');
    const forced = await api('manifests/broken.json', { method: 'PUT', body: JSON.stringify({ text: '{"label": ', confirmBroken: true }) });
    assert.equal(forced.body.manifest.status, 'broken');
    assert.match(forced.body.manifest.problems[0].message, /invalid JSON/);
    assert.ok(
      run.logs.some((l) => l.includes('console: manifest saved') && l.includes('broken.json')),
      'the write is logged',
    );
    fs.rmSync(path.join(run.manifestsDir, 'broken.json'));
  });

  it('previews an edit over the stored posts against the running version: counts, samples, explanations', async () => {
    const [current, edited] = [await matchesOf(CURRENT), await matchesOf(EDITED)];
    const started = await api('manifests/mentions-the.json/preview', { method: 'POST', body: JSON.stringify({ text: JSON.stringify(EDITED) }) });
    const { state, result } = await job(started);
    assert.equal(state, 'done');
    assert.equal(result.complete, true);
    assert.equal(result.scanned, capturedPosts().length);
    assert.deepEqual(result.matched, { edited: edited.size, current: current.size });
    assert.equal(result.labelled, [...edited].filter((u) => !current.has(u)).length);
    assert.equal(result.negated, [...current].filter((u) => !edited.has(u)).length);
    assert.ok(result.labelled > 0, 'the edit changes something on the recorded posts');
    const sample = result.samples.find((s: { change: string }) => s.change === 'labelled');
    assert.ok(edited.has(sample.uri));
    assert.ok(sample.explanation.some((e: { op: string; inputs?: { match?: unknown } }) => e.op === 'regex_matches' && e.inputs?.match));
  });

  it('saves an edit that the hot reload runs, applies it to history (dry run first) and serves the labels', async () => {
    const edited = await matchesOf(EDITED);
    const saved = await api('manifests/mentions-the.json', { method: 'PUT', body: JSON.stringify({ text: JSON.stringify(EDITED, null, 2) }) });
    assert.equal(saved.status, 200);
    assert.equal(saved.body.manifest.status, 'loaded');
    const current = await matchesOf(CURRENT);
    const dry = (await job(await api('manifests/mentions-the.json/history', { method: 'POST', body: JSON.stringify({ dryRun: true }) }))).result;
    assert.deepEqual([dry.labelled, dry.negated], [[...edited].filter((u) => !current.has(u)).length, 0]);
    const before = (await queryAllLabels(run.labelerUrl)).filter((l) => l.val === 'mentions-the').length;
    const applied = (await job(await api('manifests/mentions-the.json/history', { method: 'POST', body: JSON.stringify({ dryRun: false }) }))).result;
    assert.equal(applied.labelled, dry.labelled);
    const labels = (await queryAllLabels(run.labelerUrl)).filter((l) => l.val === 'mentions-the');
    assert.equal(labels.length, before + dry.labelled);
    assert.deepEqual(new Set(labels.map((l) => l.uri)), edited);
    const again = (await job(await api('manifests/mentions-the.json/history', { method: 'POST', body: JSON.stringify({ dryRun: true }) }))).result;
    assert.deepEqual([again.labelled, again.negated], [0, 0], 'applied: nothing left to change');
  });

  it('searches labels, negates one by hand (served on queryLabels) and resolves an appeal', async () => {
    const { body } = await api('labels?val=mentions-the&active=true');
    const uri = body.labels[0].uri as string;
    assert.ok(body.labels.every((l: { val: string; active: boolean }) => l.val === 'mentions-the' && l.active));
    const negated = await api('labels', { method: 'POST', body: JSON.stringify({ uri, val: 'mentions-the', active: false, reason: 'false positive', by: 'tess' }) });
    assert.equal(negated.body.changed.active, false);
    const served = (await queryAllLabels(run.labelerUrl, [uri])).filter((l) => l.val === 'mentions-the');
    assert.equal(served.at(-1)!.neg, true);
    const subject = (await api(`subject?uri=${encodeURIComponent(uri)}`)).body;
    assert.equal(subject.overrides[0].createdBy, 'console:tess');
    assert.ok(subject.history.length >= 2);
    assert.ok(subject.post.text.length > 0);
    assert.ok(run.logs.some((l) => l.includes('console: label decided by hand') && l.includes(uri)));

    const other = body.labels[1].uri as string;
    const { db } = openDatabase(path.join(path.dirname(run.manifestsDir), 'skysift.sqlite'));
    const report = new ReportStore(db).add({
      reasonType: 'com.atproto.moderation.defs#reasonAppeal',
      reason: 'not about that',
      subject: { type: 'record', uri: other, cid: null },
      reportedBy: 'did:plc:author',
      createdAt: new Date().toISOString(),
      appealed: ['mentions-the'],
    });
    db.close();
    const open = (await api('reports')).body;
    assert.deepEqual(
      open.reports.map((r: { id: number }) => r.id),
      [report.id],
    );
    const resolved = await api(`reports/${report.id}/resolve`, { method: 'POST', body: JSON.stringify({ outcome: 'upheld', why: 'right', by: 'tess' }) });
    assert.equal(resolved.body.report.status, 'upheld');
    assert.deepEqual(
      resolved.body.changed.map((r: { uri: string; active: boolean }) => [r.uri, r.active]),
      [[other, false]],
    );
    assert.equal((await api(`reports/${report.id}/resolve`, { method: 'POST', body: JSON.stringify({ outcome: 'rejected', why: 'again' }) })).status, 409);
  });

  it('charts the metrics sampled in-process', async () => {
    const { body } = await api('health');
    assert.equal(body.report.database, 'ok');
    assert.ok(Array.isArray(body.points));
    assert.ok(Array.isArray(body.errors));
  });

  it('refuses an address that sent too many wrong tokens, for a minute, right token or not (run last: it locks loopback out)', async () => {
    // The first test sent two wrong tokens already; the count goes on from there.
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) statuses.push((await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ token: `guess-${i}` }) })).status);
    assert.deepEqual(statuses, [...Array(FAILURES_PER_MINUTE - 2).fill(401), 429, 429]);
    const refused = await fetch(`${base}/api/manifests`, { headers: BEARER });
    assert.equal(refused.status, 429);
    assert.match(((await refused.json()) as { message: string }).message, /too many wrong tokens/);
  });
});
