import { createHash } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** The stream that carries Jetstream events from ingest readers to workers. */
export const EVENTS_STREAM = 'SKYSIFT_EVENTS';
/** Two ingest readers publishing one event within this window store it once (message-ID de-duplication). */
const DUPLICATE_WINDOW_NS = 10 * 60 * 1e9;

/** An event's partition: a hash of its author's DID, so one worker sees every event of an author, in order. */
export function partitionOf(did: string, partitions: number): number {
  return createHash('sha256').update(did).digest().readUInt32BE(0) % partitions;
}

/** `ev.<partition>.<did>`: the partition leads so that a worker's consumer filters on it. */
const subjectOf = (did: string, partitions: number) => `ev.${partitionOf(did, partitions)}.${did.replaceAll('.', '_')}`;

/** The event's identity is its content: the same event read by two readers, or twice after a reconnect, is one message. */
const messageId = (json: string) => createHash('sha256').update(json).digest('base64url');

export interface NatsEvents {
  connection: NatsConnection;
  js: JetStreamClient;
  partitions: number;
  close(): Promise<void>;
}

export interface NatsSettings {
  servers: readonly string[];
  partitions: number;
  /** Copies of the stream in a NATS cluster. */
  replicas: number;
}

/** NATS could not be reached, or its stream could not be set up: what to check, in one line. */
export class NatsUnavailable extends Error {
  constructor(servers: readonly string[], cause: unknown) {
    super(`cannot use the NATS JetStream stream ${EVENTS_STREAM} at ${servers.join(', ')}: ${(cause as Error).message}; check NATS_URL and that the servers run with JetStream (-js)`, { cause });
    this.name = 'NatsUnavailable';
  }
}

/** Attempts, a second apart, to set the stream up while a cluster elects its leaders or is too busy to answer in time. */
const SETUP_ATTEMPTS = 30;
/** How long a JetStream API request may take: stream changes in a cluster wait for its members to agree. */
const API_TIMEOUT_MS = 10_000;
const transient = (error: unknown) => /timeout|temporarily unavailable|no responders|leader/i.test(`${(error as Error).name} ${(error as Error).message}`);

/** Connects to NATS and makes sure the events stream exists (file storage, `replicas` copies, message-ID de-duplication). */
export async function openNatsEvents({ servers, partitions, replicas }: NatsSettings): Promise<NatsEvents> {
  // A server lost (a cluster member restarting, a leader election) is waited out, never given up on.
  const connection = await connect({ servers: [...servers], maxReconnectAttempts: -1 }).catch((error: unknown) => {
    throw new NatsUnavailable(servers, error);
  });
  const config = { subjects: ['ev.>'], storage: StorageType.File, duplicate_window: DUPLICATE_WINDOW_NS, num_replicas: replicas };
  for (let attempt = 1; ; attempt++) {
    try {
      const jsm = await jetstreamManager(connection, { timeout: API_TIMEOUT_MS });
      await jsm.streams.info(EVENTS_STREAM).then(
        () => jsm.streams.update(EVENTS_STREAM, config),
        () => jsm.streams.add({ name: EVENTS_STREAM, ...config }),
      );
      return { connection, js: jetstream(connection, { timeout: API_TIMEOUT_MS }), partitions, close: () => connection.drain() };
    } catch (error) {
      if (attempt < SETUP_ATTEMPTS && transient(error)) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      await connection.close();
      throw new NatsUnavailable(servers, error);
    }
  }
}

/** Publishes a batch of Jetstream events; resolves once the stream has stored every one (or already had it), with how many it already had. */
export async function publishEvents({ js, partitions }: NatsEvents, events: readonly unknown[]): Promise<{ duplicates: number }> {
  const acks = await Promise.all(
    events.map((event) => {
      const json = JSON.stringify(event);
      const did = typeof (event as { did?: unknown }).did === 'string' ? (event as { did: string }).did : '';
      return js.publish(subjectOf(did, partitions), json, { msgID: messageId(json) });
    }),
  );
  return { duplicates: acks.filter((ack) => ack.duplicate).length };
}

/** An event as the stream holds it: its stream sequence and the Jetstream event. */
export interface StreamEvent {
  seq: number;
  event: unknown;
}

export interface PartitionConsumer {
  partition: number;
  /** The stream sequence up to which the partition's events are applied (0: none), read again after a failure. */
  position: () => Promise<number>;
  /**
   * Applies a batch of the events after `position`, in stream order; it is acknowledged only once this
   * resolves. `pending`: the partition's events in the stream not yet delivered after this batch.
   */
  handle: (events: StreamEvent[], pending: number) => Promise<unknown>;
  /** A batch or the connection failed: the partition is read again from `position` after a pause. */
  failed: (error: unknown) => void;
  stopped: () => boolean;
  batch?: number;
}

/** The pause before a partition is read again after a failure (a NATS leader election takes a few seconds). */
const RETRY_MS = 1_000;

/** The durable consumer of a partition's events. */
export const consumerOf = (partition: number) => `worker-p${partition}`;

/**
 * A partition's events in stream order, a batch at a time, through a durable consumer of its own that
 * starts after `position`: the applied position is the worker's to keep (with its labels), so NATS never
 * decides where a partition resumes. After any failure the consumer is made again from `position`, so a
 * later batch is never applied (nor acknowledged) before an earlier one that failed.
 */
export async function consumePartition(events: NatsEvents, options: PartitionConsumer): Promise<void> {
  const { position, failed, stopped } = options;
  while (!stopped()) {
    try {
      await readFrom(events, options, (await position()) + 1);
    } catch (error) {
      if (stopped()) return;
      failed(error);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

async function readFrom({ connection, js }: NatsEvents, { partition, handle, stopped, batch = 256 }: PartitionConsumer, start: number): Promise<void> {
  const durable = consumerOf(partition);
  const jsm = await jetstreamManager(connection);
  await jsm.consumers.delete(EVENTS_STREAM, durable).catch(() => undefined);
  await jsm.consumers.add(EVENTS_STREAM, {
    durable_name: durable,
    filter_subject: `ev.${partition}.>`,
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
    max_ack_pending: batch * 4,
  });
  const consumer = await js.consumers.get(EVENTS_STREAM, durable);
  while (!stopped()) {
    const messages = await consumer.fetch({ max_messages: batch, expires: 1_000 });
    const received = [];
    for await (const message of messages) received.push(message);
    if (!received.length) continue;
    const last = received[received.length - 1]!;
    await handle(
      received.map((m) => ({ seq: m.seq, event: m.json() })),
      last.info.pending,
    );
    // Acknowledging the last acknowledges the batch (AckPolicy.All): only after its labels are committed.
    last.ack();
  }
}
