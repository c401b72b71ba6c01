/**
 * A fleet of subscribeLabels clients in a process of its own (forked by bench/labels.ts), so that the
 * server's memory and event loop are measured without them. Each client notes the seq and arrival time
 * (ms since the epoch, shared with the parent) of every `#labels` event; reading only the frame's header
 * and the seq keeps a thousand of them cheap. The last few clients (live ones) decode every label in full.
 * Messages: in `{url, cursors: (number | null)[], fullDecoders}`; out `{connected}`; on `{progress: seq}`, how many
 * clients have not reached that seq (`{behind}`); on `{report: true}`, `{report: {cursor, seqs, arrivals, labels, errors}[]}`.
 */
import { decodeFirst } from 'cborg';
import WebSocket from 'ws';

interface Client {
  cursor: number | null;
  seqs: number[];
  arrivals: number[];
  labels: number;
  errors: string[];
}

const now = () => performance.timeOrigin + performance.now();

/** The seq of a `#labels` body: DAG-CBOR orders map keys by length, so `seq` comes first. */
function seqOf(body: Uint8Array): number {
  if (body[0] !== 0xa2 || body[1] !== 0x63 || body[2] !== 0x73 || body[3] !== 0x65 || body[4] !== 0x71) throw new Error('not a #labels body');
  const info = body[5]! & 0x1f;
  const view = new DataView(body.buffer, body.byteOffset + 6);
  if (info < 24) return info;
  if (info === 24) return view.getUint8(0);
  if (info === 25) return view.getUint16(0);
  if (info === 26) return view.getUint32(0);
  return Number(view.getBigUint64(0));
}

function connect(url: string, client: Client, full: boolean): Promise<void> {
  const target = new URL('/xrpc/com.atproto.label.subscribeLabels', url.replace(/^http/, 'ws'));
  if (client.cursor !== null) target.searchParams.set('cursor', String(client.cursor));
  const socket = new WebSocket(target);
  socket.on('message', (data: Buffer) => {
    const at = now();
    const [header, body] = decodeFirst(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) as [{ op: number; t?: string }, Uint8Array];
    if (header.op === -1) {
      client.errors.push(String((decodeFirst(body)[0] as { error: string }).error));
      return;
    }
    if (header.t !== '#labels') return;
    client.seqs.push(seqOf(body));
    client.arrivals.push(at);
    if (full) client.labels += ((decodeFirst(body)[0] as { labels: unknown[] }).labels ?? []).length;
  });
  socket.on('error', (error) => client.errors.push(error.message));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
}

const clients: Client[] = [];
process.on('message', async (message: { url?: string; cursors?: (number | null)[]; fullDecoders?: number; progress?: number; report?: boolean }) => {
  if (message.progress !== undefined) process.send!({ behind: clients.filter((c) => (c.seqs[c.seqs.length - 1] ?? -1) < message.progress!).length });
  if (message.url && message.cursors) {
    for (const cursor of message.cursors) clients.push({ cursor, seqs: [], arrivals: [], labels: 0, errors: [] });
    // Connect in waves, as a crowd of real subscribers would arrive, not all in one tick.
    for (let i = 0; i < clients.length; i += 50) await Promise.all(clients.slice(i, i + 50).map((c, j) => connect(message.url!, c, i + j >= clients.length - (message.fullDecoders ?? 0))));
    process.send!({ connected: clients.length });
  }
  if (message.report) {
    process.send!({ report: clients }, () => process.exit(0));
  }
});
