import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { consolidateJetstreamEvent, type ConsolidatedPost } from '../../src/consolidate/index.ts';
import { startService, type Service } from '../../src/service.ts';
import { fixture } from './fixtures.ts';
import { JetstreamReplayServer } from './jetstream-server.ts';
import { until } from './until.ts';

export const CONSOLE_TOKEN = 'console-test-token-0123456789';
const capture = fixture('jetstream/expected_v1.jsonl');

/** A rule manifest labelling posts whose text matches `pattern`. */
export const regexManifest = (value: string, pattern: string) => ({
  label: { value, locales: [{ lang: 'en', name: value, description: `Posts matching ${pattern}.` }] },
  filter: { regex_matches: ['text', pattern] },
});

/** The recorded posts the service ingests (test/fixtures/jetstream/expected_v1.jsonl). */
export function capturedPosts(): ConsolidatedPost[] {
  return fs
    .readFileSync(capture, 'utf8')
    .trim()
    .split('\n')
    .map((line) => consolidateJetstreamEvent(JSON.parse(line)))
    .flatMap((r) => (r.kind === 'post' ? [r.post] : []));
}

export interface ConsoleService {
  service: Service;
  /** `http://127.0.0.1:port/console` */
  consoleUrl: string;
  labelerUrl: string;
  manifestsDir: string;
  logs: string[];
  close(): Promise<void>;
}

/**
 * The whole service (loopback Jetstream replaying the recorded capture, real label server, SQLite) with
 * the console enabled, its manifests in a fresh directory, after every recorded post is stored and labelled.
 */
export async function startConsoleService(manifests: Record<string, object>): Promise<ConsoleService> {
  const jetstream = await JetstreamReplayServer.start([capture]);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-console-'));
  const manifestsDir = path.join(dataDir, 'manifests');
  fs.mkdirSync(manifestsDir);
  for (const [name, manifest] of Object.entries(manifests)) fs.writeFileSync(path.join(manifestsDir, name), `${JSON.stringify(manifest, null, 2)}\n`);
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const config = loadConfig({ DATA_DIR: dataDir, MANIFESTS_DIR: manifestsDir, LABELER_PORT: '0', CONSOLE_PORT: '0', CONSOLE_TOKEN, JETSTREAM_URL: jetstream.url, LOG_LEVEL: 'silent' });
  const service = await startService(config, logger);
  // The cursor moves past an event only once its batch is labelled; the server sends the post collection only.
  const events = fs
    .readFileSync(capture, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { time_us: number; commit?: { collection: string } });
  const last = Math.max(...events.filter((e) => e.commit?.collection === 'app.bsky.feed.post').map((e) => e.time_us));
  await until(() => service.source.cursor >= last, { what: 'the recorded events to be labelled' });
  return {
    service,
    consoleUrl: service.console!.url,
    labelerUrl: service.address,
    manifestsDir,
    logs,
    async close() {
      await service.stop();
      await jetstream.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
