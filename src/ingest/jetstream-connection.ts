import WebSocket from 'ws';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';

export interface JetstreamConnectionOptions {
  /** Jetstream's subscribe endpoint, e.g. `wss://jetstream1.us-east.bsky.network/subscribe`. */
  endpoint: string;
  wantedCollections: readonly string[];
  /** Where each new connection resumes (`time_us`); undefined: from now. */
  cursor: () => number | undefined;
  /** Every message as it arrives: text as a string, binary as a Buffer. */
  onMessage: (data: string | Buffer) => void;
  logger: Logger;
  metrics: Metrics;
  backoff?: Partial<BackoffOptions>;
  /** An opening handshake that takes longer than this fails (a host that never answers). */
  handshakeTimeoutMs?: number;
  /** A connection that delivers nothing for this long while it is read (not paused) is pinged, and dropped after as long again. */
  idleTimeoutMs?: number;
  /** In [0, 1): spreads the reconnection delays (tests pin it). */
  random?: () => number;
}

/** What the connection is doing, for `/health`. */
export interface ConnectionStatus {
  connected: boolean;
  /** Connection attempts in a row that delivered no event (refused, timed out, dropped at once). */
  failedAttempts: number;
  lastError?: { message: string; at: string };
  /** When the next attempt starts, while waiting to reconnect. */
  nextAttemptAt?: string;
}

/**
 * One Jetstream subscription over `ws`, owned here rather than patched into a client: it reconnects
 * after a drop or a failed attempt with exponential backoff and jitter (the attempt count and next delay
 * logged and counted in metrics), resumes each connection from `cursor()`, keeps the subscription
 * (`options_update`) across reconnections, pauses and resumes reading at the socket (TCP flow control
 * pushes back on the server), replaces a connection gone silent, and stops at once, connecting or not.
 */
export class JetstreamConnection {
  private readonly backoff: BackoffOptions;
  private wanted: readonly string[];
  private socket?: WebSocket;
  private open = false;
  private paused = false;
  private stopped = false;
  /** Reconnections since the last connection that delivered a message; sets the backoff. */
  private retries = 0;
  private failedAttempts = 0;
  private lastError?: { message: string; at: string };
  private nextAttemptAt?: number;
  private retryTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private heardSinceCheck = false;
  private pinged = false;

  constructor(private readonly options: JetstreamConnectionOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.wanted = options.wantedCollections;
  }

  status(): ConnectionStatus {
    return {
      connected: this.open,
      failedAttempts: this.failedAttempts,
      ...(this.lastError && { lastError: this.lastError }),
      ...(this.nextAttemptAt !== undefined && { nextAttemptAt: new Date(this.nextAttemptAt).toISOString() }),
    };
  }

  start(): void {
    this.connect();
  }

  /** The subscription of this connection (Jetstream's `options_update`) and of every later one. */
  setWantedCollections(collections: readonly string[]): void {
    this.wanted = collections;
    if (this.open) this.socket!.send(JSON.stringify({ type: 'options_update', payload: { wantedCollections: collections } }));
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket?.resume();
  }

  /** Closes the socket (aborting a handshake in progress) and cancels any reconnection; resolves once it is closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.idleTimer);
    this.nextAttemptAt = undefined;
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (socket.readyState === WebSocket.OPEN) {
      // A paused socket would never read the server's closing frame.
      socket.resume();
      socket.close(1000);
      const force = setTimeout(() => socket.terminate(), 1000);
      await closed;
      clearTimeout(force);
    } else {
      socket.terminate();
      await closed;
    }
  }

  private url(): string {
    const url = new URL(this.options.endpoint);
    for (const collection of this.wanted) url.searchParams.append('wantedCollections', collection);
    const cursor = this.options.cursor();
    if (cursor !== undefined) url.searchParams.set('cursor', String(cursor));
    return url.toString();
  }

  private connect(): void {
    this.nextAttemptAt = undefined;
    const url = this.url();
    const socket = new WebSocket(url, { handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000, perMessageDeflate: false });
    this.socket = socket;
    socket.on('open', () => {
      this.open = true;
      this.options.metrics.jetstreamConnected.set(1);
      // pause() before the handshake completes does nothing: a full queue keeps holding back on a new socket.
      if (this.paused) socket.pause();
      this.watchIdle(socket);
      this.options.logger.info({ endpoint: this.options.endpoint, cursor: new URL(url).searchParams.get('cursor') ?? undefined }, 'jetstream connected');
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.heardSinceCheck = true;
      if (this.retries) this.retries = this.failedAttempts = 0;
      if (!this.stopped) this.options.onMessage(isBinary ? data : data.toString());
    });
    socket.on('pong', () => (this.heardSinceCheck = true));
    socket.on('error', (error) => (this.lastError = { message: error.message, at: new Date().toISOString() }));
    socket.on('close', (code, reason) => this.closed(socket, code, reason.toString()));
  }

  private closed(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    clearInterval(this.idleTimer);
    const wasOpen = this.open;
    this.open = false;
    this.options.metrics.jetstreamConnected.set(0);
    if (this.stopped) return;
    if (!wasOpen) {
      this.failedAttempts++;
      this.options.metrics.jetstreamConnectFailures.inc();
    }
    this.retries++;
    const delayMs = backoffDelay(this.retries, this.backoff, this.options.random);
    this.nextAttemptAt = Date.now() + delayMs;
    const about = { endpoint: this.options.endpoint, attempt: this.retries, nextDelayMs: delayMs };
    if (wasOpen) this.options.logger.warn({ ...about, code, reason: reason || this.lastError?.message }, 'jetstream disconnected; reconnecting');
    else this.options.logger.warn({ ...about, err: this.lastError?.message }, 'jetstream unreachable; retrying');
    this.retryTimer = setTimeout(() => {
      this.options.metrics.reconnects.inc();
      this.connect();
    }, delayMs);
  }

  /** Jetstream never goes quiet for long: silence while reading means a dead peer (a half-open TCP connection). Ping it, then drop it. */
  private watchIdle(socket: WebSocket): void {
    const idleMs = this.options.idleTimeoutMs ?? 30_000;
    this.heardSinceCheck = true;
    this.pinged = false;
    this.idleTimer = setInterval(() => {
      // A paused socket reads nothing, pongs included: silence then is ours, not the server's.
      if (this.paused || this.heardSinceCheck) {
        this.heardSinceCheck = false;
        this.pinged = false;
      } else if (!this.pinged) {
        this.pinged = true;
        socket.ping();
      } else {
        this.lastError = { message: `no data for ${Math.round((2 * idleMs) / 1000)} s`, at: new Date().toISOString() };
        socket.terminate();
      }
    }, idleMs);
  }
}
