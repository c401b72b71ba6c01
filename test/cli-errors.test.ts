import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { amplifiedCapture, freePort } from './support/capture.ts';
import { runCli, spawnCli, type CliResult } from './support/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-cli-errors-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const missing = path.join(dir, 'missing.jsonl');

/** The operator's mistake is reported as exactly one line on stderr, without a stack trace. */
function assertOneLine(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, message);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
}

describe('CLI mistakes get one line and a non-zero exit', () => {
  it('evaluate: a missing input file or manifest path', async () => {
    assertOneLine(await runCli(['evaluate', 'manifests', missing]), 1, /^skysift evaluate: .*missing\.jsonl does not exist: give a JSON-lines file of Jetstream events or consolidated posts$/);
    assertOneLine(await runCli(['evaluate', path.join(dir, 'nope'), missing]), 1, /^skysift evaluate: .*nope does not exist: give a manifest file or a folder of manifests$/);
  });

  it('replay: a missing capture, before anything is written to DATA_DIR', async () => {
    const dataDir = path.join(dir, 'replay-data');
    assertOneLine(await runCli(['replay', missing], { DATA_DIR: dataDir }), 1, /^skysift replay: .*missing\.jsonl does not exist: give a JSON-lines file of Jetstream events/);
    assert.equal(fs.existsSync(dataDir), false);
  });

  it('train: a missing data file, and a missing --data', async () => {
    assertOneLine(await runCli(['train', 'm', '--data', missing, '--features', 'post_metadata']), 1, /^skysift train: .*missing\.jsonl does not exist: give a file of labelled posts/);
    const usage = await runCli(['train', 'm', '--features', 'post_metadata']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^skysift train: --data is required\nUsage: skysift train /);
  });

  it('train: a bad label names the line and the accepted values', async () => {
    const data = path.join(dir, 'bad-label.jsonl');
    fs.writeFileSync(data, '{"text":"a cat","label":1}\n{"text":"the market","label":"maybe"}\n');
    assertOneLine(await runCli(['train', 'm', '--data', data, '--features', 'post_metadata']), 1, /^skysift train: .*bad-label\.jsonl:2: label must be 0, 1, true or false, got "maybe": fix that line$/);
  });

  it('train: a missing embedding model says how to get it, before reading the data', async () => {
    const data = path.join(dir, 'fine.jsonl');
    fs.writeFileSync(data, '{"text":"a cat","label":1}\n');
    const result = await runCli(['train', 'm', '--data', data, '--features', 'vectorizer:all-MiniLM-L6-v2'], { MODELS_DIR: path.join(dir, 'no-models') });
    assertOneLine(result, 1, /^skysift train: embedding model "all-MiniLM-L6-v2" is not installed .*MODELS_ALLOW_REMOTE=true skysift models pull all-MiniLM-L6-v2/);
  });

  it('manifests validate accepts one file, and reports a broken one', async () => {
    const good = await runCli(['manifests', 'validate', 'manifests/political.json']);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout, '1 manifest(s) valid: political\n');
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"label": {"value": "Not Valid"}, "filter": {"and": []}}');
    const bad = await runCli(['manifests', 'validate', broken]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /broken\.json: label\.value: /);
  });

  it('a missing MANIFESTS_DIR, for validate and start', async () => {
    const env = { MANIFESTS_DIR: path.join(dir, 'no-manifests'), DATA_DIR: path.join(dir, 'start-data') };
    const message = /^skysift (manifests validate|start): MANIFESTS_DIR .*no-manifests does not exist: create it, or set MANIFESTS_DIR to the folder of your manifests$/;
    assertOneLine(await runCli(['manifests', 'validate'], env), 1, message);
    assertOneLine(await runCli(['start'], env), 1, message);
  });

  it('start: a port already in use names LABELER_PORT and exits', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const result = await runCli(['start'], { DATA_DIR: path.join(dir, 'port-data'), LABELER_PORT: String(port), JETSTREAM_URL: 'ws://127.0.0.1:9/subscribe' });
      assertOneLine(result, 1, new RegExp(`^skysift start: LABELER_PORT ${port} is already in use on 127\\.0\\.0\\.1 .*: stop that process or set LABELER_PORT to a free port$`));
    } finally {
      taken.close();
    }
  });

  it('start --role ingest: NATS that cannot be reached names the servers and NATS_URL', async () => {
    const port = await freePort();
    const result = await runCli(['start', '--role', 'ingest'], { DATA_DIR: path.join(dir, 'nats-data'), LABELER_PORT: '0', NATS_URL: `nats://127.0.0.1:${port}`, JETSTREAM_URL: 'ws://127.0.0.1:9/subscribe' });
    assertOneLine(result, 1, new RegExp(`^skysift start: cannot use the NATS JetStream stream SKYSIFT_EVENTS at nats://127\\.0\\.0\\.1:${port}: .*check NATS_URL`));
  });

  it('start --role worker: partitions outside NATS_PARTITIONS are refused in one line that says what to set', async () => {
    const result = await runCli(['start', '--role', 'worker'], { DATA_DIR: path.join(dir, 'worker-data'), DATABASE_URL: 'postgres://skysift@127.0.0.1:9/skysift', NATS_PARTITIONS: '4', WORKER_PARTITIONS: '2,4,5' });
    assertOneLine(result, 1, /^skysift start: WORKER_PARTITIONS 4, 5 not below NATS_PARTITIONS \(4\): partitions are numbered from 0; give every process the same NATS_PARTITIONS and each worker partitions below it$/);
  });

  it('output piped into a reader that stops early (EPIPE): one line, the SIGPIPE status', async () => {
    const capture = path.join(dir, 'capture.jsonl');
    fs.writeFileSync(capture, amplifiedCapture(20).map((e) => JSON.stringify(e)).join('\n'));
    const child = spawnCli(['evaluate', 'manifests', capture]);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    // Like `| head -1`: read the first chunk, then close the pipe.
    await once(child.stdout!, 'data');
    child.stdout!.destroy();
    const [code] = await once(child, 'close');
    assertOneLine({ code, stdout: '', stderr }, 141, /^skysift: stopped early: the program reading its output closed the pipe \(EPIPE\)$/);
  });
});
