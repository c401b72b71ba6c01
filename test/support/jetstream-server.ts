import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One subscription as the server saw it: its cursor, its collections (updated by `options_update`), the last event sent on it. */
interface Connection {
  cursor?: number;
  wantedCollections: string[];
  lastSent?: number;
}

/**
 * A loopback server speaking Jetstream's protocol: `/subscribe?wantedCollections=…&cursor=…`, then
 * one JSON text message per event with `time_us` above the cursor, in order. Replays recorded
 * captures; `dropAll()` cuts every socket as a network failure would.
 */
export class JetstreamReplayServer {
  private readonly wss: WebSocketServer;
  readonly connections: Connection[] = [];

  private constructor(
    private readonly events: { time_us: number; kind: string; commit?: { collection: string } }[],
    port: number,
  ) {
    this.wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/subscribe' });
    this.wss.on('connection', (socket, request) => this.serve(socket, new URL(request.url ?? '/', 'http://localhost')));
  }

  /** Raw frames sent before the events of every connection (malformed messages for fault tests). */
  readonly inject: (string | Buffer)[] = [];
  /** Pacing like a live stream: a pause of `ms` after every `every` events (0: send all at once). */
  pace = { every: 0, ms: 0 };
  /** Called as each event goes out, with the connection it went to (latency measurements). */
  onSent?: (event: object, connection: { cursor?: number }) => void;
  /** Events past the first `holdAfter` (in time order) wait until it is raised: a test's gate on the stream. */
  holdAfter = Infinity;

  static async start(files: string[], port = 0): Promise<JetstreamReplayServer> {
    return JetstreamReplayServer.serveEvents(
      files.flatMap((file) =>
        fs
          .readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ),
      port,
    );
  }

  static async serveEvents(events: { time_us: number; kind: string; commit?: { collection: string } }[], port = 0): Promise<JetstreamReplayServer> {
    events.sort((a, b) => a.time_us - b.time_us);
    const server = new JetstreamReplayServer(events, port);
    await new Promise<void>((resolve) => server.wss.once('listening', resolve));
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/subscribe`;
  }

  private serve(socket: WebSocket, url: URL): void {
    const cursorParam = url.searchParams.get('cursor');
    const cursor = cursorParam ? Number(cursorParam) : undefined;
    const connection: Connection = { cursor, wantedCollections: url.searchParams.getAll('wantedCollections') };
    this.connections.push(connection);
    // Jetstream's subscriber message: `options_update` replaces the wanted collections mid-stream.
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type?: string; payload?: { wantedCollections?: string[] } };
      if (message.type === 'options_update' && message.payload?.wantedCollections) connection.wantedCollections = message.payload.wantedCollections;
    });
    for (const frame of this.inject) socket.send(frame);
    void this.send(socket, connection);
  }

  private async send(socket: WebSocket, connection: Connection): Promise<void> {
    let sent = 0;
    for (const [index, event] of this.events.entries()) {
      while (index >= this.holdAfter && socket.readyState === socket.OPEN) await new Promise((r) => setTimeout(r, 10));
      if (socket.readyState !== socket.OPEN) return;
      if (connection.cursor !== undefined && event.time_us <= connection.cursor) continue;
      const wanted = connection.wantedCollections;
      if (event.kind === 'commit' && wanted.length && !wanted.includes(event.commit!.collection)) continue;
      socket.send(JSON.stringify(event));
      connection.lastSent = event.time_us;
      this.onSent?.(event, connection);
      if (this.pace.every && ++sent % this.pace.every === 0) await new Promise((r) => setTimeout(r, this.pace.ms));
    }
  }

  dropAll(): void {
    for (const client of this.wss.clients) client.terminate();
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
