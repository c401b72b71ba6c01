import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import pino from 'pino';
import { FeedSync } from '../src/ingest/feeds.ts';
import { fetchPlcData } from '../src/label/did-document.ts';
import { ChatClient } from '../src/llm/client.ts';
import { Metrics } from '../src/metrics.ts';
import { networkCause } from '../src/network.ts';
import { AppView } from '../src/social/appview.ts';
import { runCli } from './support/cli.ts';
import { freePort } from './support/ports.ts';

/** The message a promise is rejected with. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  return (error as Error).message;
}

describe('a service that cannot be reached is named, with the cause', () => {
  let base: string;
  let refused: string;
  before(async () => {
    const port = await freePort(); // nothing listens: connections are refused at once
    base = `http://127.0.0.1:${port}`;
    refused = `connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`;
  });

  it('the AppView (membership sets)', async () => {
    const appview = new AppView({ service: base, concurrency: 1 });
    assert.match(await failure(appview.fetch({ type: 'follows', actor: 'did:plc:abc' })), new RegExp(`^GET ${base}/xrpc/app\\.bsky\\.graph\\.getFollows\\?actor=did%3Aplc%3Aabc.*: ${refused}$`));
  });

  it('the AppView (feed sync)', async () => {
    const sync = new FeedSync({ feeds: [], appviewUrl: base, limit: 10, process: async () => undefined, logger: pino({ level: 'silent' }), metrics: new Metrics() });
    assert.match(await failure(sync.syncFeed('at://did:plc:abc/app.bsky.feed.generator/x')), new RegExp(`^GET ${base}/xrpc/app\\.bsky\\.feed\\.getFeed\\?.*: ${refused}$`));
  });

  it('the PLC directory', async () => {
    assert.match(await failure(fetchPlcData(base, 'did:plc:abc')), new RegExp(`^could not read did:plc:abc from the PLC directory: GET ${base}/did%3Aplc%3Aabc/data: ${refused}$`));
  });

  it('the PDS, when declare logs in: one line, exit 1', async () => {
    const result = await runCli(['declare'], { LABELER_PDS_URL: base, LABELER_HANDLE: 'labeler.test', LABELER_PASSWORD: 'secret-password' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^skysift declare: could not log in to ${base} as labeler\\.test: POST ${base}/xrpc/com\\.atproto\\.server\\.createSession: ${refused}\\n$`));
    assert.doesNotMatch(result.stderr, /secret-password/);
  });

  it('an LLM endpoint', async () => {
    const client = new ChatClient({ baseUrl: base, model: 'm', timeoutMs: 5000 });
    assert.match(await failure(client.complete([{ role: 'user', content: 'hi' }], {})), new RegExp(`^POST ${base}/chat/completions: ${refused}$`));
  });

  it("undici's wrapped causes are unwrapped: an unknown host, both addresses refused, a timeout", () => {
    // Shaped as undici throws them; built here so that no name is looked up outside loopback.
    const dns = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND pds.example'), { code: 'ENOTFOUND' }) });
    assert.equal(networkCause(dns), 'getaddrinfo ENOTFOUND pds.example');
    const both = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:2583'), new Error('connect ECONNREFUSED 127.0.0.1:2583')]), { code: 'ECONNREFUSED' });
    assert.equal(networkCause(new TypeError('fetch failed', { cause: both })), 'connect ECONNREFUSED ::1:2583; connect ECONNREFUSED 127.0.0.1:2583');
    assert.equal(networkCause(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 'no answer before the timeout');
  });
});
