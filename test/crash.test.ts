import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { activeKeys, amplifiedCapture, expectedActiveLabels, freePort } from './support/capture.ts';
import { spawnCli } from './support/cli.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { queryAllLabels } from './support/label-verifier.ts';

describe('crash safety', () => {
  it('kill -9 at random points and restarts: the same labels as one clean run, none emitted twice', async () => {
    const events = amplifiedCapture(60);
    const expected = await expectedActiveLabels(events);
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
        assert.deepEqual(activeKeys(labels), expected);
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
