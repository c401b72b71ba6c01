import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { consolidateJetstreamEvent } from '../src/consolidate/index.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { loadManifests } from '../src/manifests/load.ts';
import { spawnCli } from './support/cli.ts';
import { amplifiedCapture } from './support/capture.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { queryAllLabels } from './support/label-verifier.ts';

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

describe('crash safety', () => {
  it('kill -9 at random points and restarts: the same labels as one clean run, none emitted twice', async () => {
    const events = amplifiedCapture(60);
    const posts = events.map(consolidateJetstreamEvent).flatMap((r) => (r.kind === 'post' ? [r.post] : []));
    const deleted = new Set(events.map(consolidateJetstreamEvent).flatMap((r) => (r.kind === 'post-delete' ? [r.uri] : [])));
    const expected = (await evaluateBatch(posts, (await loadManifests('manifests')).manifests))
      .filter((v) => v.matched && !deleted.has(v.uri))
      .map((v) => `${v.uri} ${v.label}`)
      .sort();
    const server = await JetstreamReplayServer.serveEvents(events);
    server.pace = { every: 20, ms: 20 };
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-crash-'));
    const port = await freePort();
    const service = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: dataDir, LABELER_PORT: String(port), JETSTREAM_URL: server.url, LOG_LEVEL: 'warn', JETSTREAM_REWIND_SECONDS: '0' };
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    try {
      const killedAt: number[] = [];
      let lastCount = 0;
      for (let run = 0; ; run++) {
        const child = spawnCli(['start'], env);
        const exited = once(child, 'exit');
        const started = Date.now();
        // Kill a few times at a random moment while labelling is under way, then let a last run finish.
        const killBeyond = run < 4 ? lastCount + 1 + Math.floor(random() * 40) : Infinity;
        let done = false;
        while (!done && Date.now() - started < 60_000) {
          await new Promise((r) => setTimeout(r, 20));
          const labels = await queryAllLabels(service).catch(() => undefined);
          lastCount = labels?.length ?? lastCount;
          if (lastCount >= killBeyond && lastCount < expected.length) {
            child.kill('SIGKILL');
            killedAt.push(lastCount);
            break;
          }
          const active = labels && new Set(labels.filter((l) => !l.neg).map((l) => `${l.uri} ${l.val}`));
          done = Boolean(active && active.size >= expected.length && labels!.length >= expected.length);
        }
        if (done) {
          await new Promise((r) => setTimeout(r, 500));
          child.kill('SIGTERM');
          await exited;
          break;
        }
        if (killedAt.length <= run) {
          child.kill('SIGKILL');
          await exited;
          assert.fail(`run ${run} neither finished nor was killed within 60 s`);
        }
        await exited;
      }
      assert.ok(killedAt.length >= 3, `killed mid-stream at ${killedAt.join(', ')} of ${expected.length} labels`);
      console.log(`# crash test: killed at ${killedAt.join(', ')} of ${expected.length} labels`);
      const child = spawnCli(['start'], env);
      try {
        let labels: Record<string, unknown>[] | undefined;
        for (const deadline = Date.now() + 30_000; !labels && Date.now() < deadline;) {
          labels = await queryAllLabels(service).catch(() => undefined);
          if (!labels) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(labels, 'the restarted service answers queryLabels');
        await new Promise((r) => setTimeout(r, 500));
        labels = await queryAllLabels(service);
        const seen = labels.map((l) => `${l.uri} ${l.val} ${Boolean(l.neg)}`);
        assert.equal(new Set(seen).size, seen.length, 'no label emitted twice');
        const active = new Map<string, boolean>();
        for (const l of labels) active.set(`${l.uri} ${l.val}`, !l.neg);
        assert.deepEqual(
          [...active]
            .filter(([, on]) => on)
            .map(([key]) => key)
            .sort(),
          expected,
        );
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    } finally {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
