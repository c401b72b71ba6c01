import { consolidateValidEvent } from './consolidate/index.ts';
import type { ConsolidatedPost } from './consolidate/post.ts';
import type { FeatureProvider } from './core/features.ts';
import type { Services } from './core/services.ts';
import { decideBatch, EvaluationError } from './evaluate/index.ts';
import { readFrame } from './ingest/frame.ts';
import type { Labeler } from './label/index.ts';
import type { Logger } from './log.ts';
import type { CompiledManifest } from './manifests/load.ts';

/** Varied enough to take each kind of leaf down its usual paths: languages, links, tags, mentions, replies, images. */
const SAMPLE_TEXTS = [
  'The Senate votes on the budget bill tonight; call your representative before the deadline.',
  'New paper out today on coral reef recovery after the 2024 bleaching event https://example.com/reefs',
  'Finished this watercolour of the harbour at dawn 🎨 #art #watercolor #painting',
  'Who else is watching the game tonight? That last quarter was unbelievable!!',
  'Breaking: the court has blocked the executive order on immigration, ruling it unconstitutional.',
  'just made the best sourdough of my life, 36 hour cold ferment, open crumb',
  'La inflación bajó en octubre, pero los alquileres siguen subiendo en todo el país.',
  '今日はとても良い天気ですね。公園で散歩しました。',
  'Die Bahn hat schon wieder Verspätung, das ist der dritte Tag in Folge.',
  'Eleição municipal: veja os resultados apurados até agora em cada cidade.',
  'Climate protesters blocked the highway this morning demanding an end to new oil licences.',
  'Our union just won a 12% raise after a six week strike. Solidarity works ✊',
  'Read the full thread on how the tax cuts were paid for 🧵 https://example.com/thread',
  'Anyone have recommendations for a good mechanical keyboard under $100?',
  'The governor signed the abortion ban into law despite massive protests at the capitol.',
  'cats are just tiny roommates who pay rent in vibes',
];

const SAMPLE_DID = 'did:plc:skysiftwarmupsample0000';
const SAMPLE_CID = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
/** Throwaway labels signed per round, on the first sample posts. */
const SIGNED_PER_ROUND = 16;

/** Jetstream frames of sample posts, as the stream delivers them. */
function sampleFrames(count: number): string[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const text = `${SAMPLE_TEXTS[i % SAMPLE_TEXTS.length]!}${i % 3 === 0 ? ` @someone.bsky.social #tag${i % 7}` : ''}`;
    const rkey = `3warmup${i.toString(36).padStart(6, '0')}`;
    const record: Record<string, unknown> = { $type: 'app.bsky.feed.post', text, createdAt: new Date(now - i * 1000).toISOString(), langs: [i % 5 === 0 ? 'es' : 'en'] };
    if (i % 4 === 1) {
      const parent = { uri: `at://${SAMPLE_DID}/app.bsky.feed.post/3warmupparent`, cid: SAMPLE_CID };
      record.reply = { root: parent, parent };
    }
    if (i % 6 === 2) record.embed = { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com/story', title: 'A story', description: 'About it' } };
    const event = { did: SAMPLE_DID, time_us: now * 1000 - i, kind: 'commit', commit: { rev: rkey, operation: 'create', collection: 'app.bsky.feed.post', rkey, record, cid: SAMPLE_CID } };
    return JSON.stringify(event);
  });
}

export interface WarmUpOptions {
  manifests: readonly CompiledManifest[];
  services: Services;
  labeler: Labeler;
  /** Where the time it took is logged; none in tests. */
  logger?: Logger;
  /** Sample posts decided per round, and rounds. */
  posts?: number;
  rounds?: number;
}

/**
 * Runs the stream's hot path (frame reading, consolidation, every manifest's evaluation, signing) on
 * sample posts before the stream is read. Code runs unoptimised until V8 has seen it run, so without
 * this the first second of events waits behind cold code and is labelled hundreds of milliseconds late.
 * Nothing is stored or labelled. Features that call another service (an LLM API, the image CDN) are not
 * asked about sample posts: manifests that need them are warmed up to that point. It never stops a start:
 * a failure is logged, and the stream is read cold (a fault of evaluation itself shows on the first batch).
 */
export async function warmUp({ manifests, services, labeler, logger, posts = 128, rounds = 8 }: WarmUpOptions): Promise<void> {
  const started = performance.now();
  const local = new Map([...services.providers].filter(([, provider]: [string, FeatureProvider]) => !provider.remote));
  const frames = sampleFrames(posts);
  const memberships = services.memberships();
  try {
    for (let round = 0; round < rounds; round++) {
      const sample: ConsolidatedPost[] = [];
      for (const frame of frames) {
        const read = readFrame(frame, Number.POSITIVE_INFINITY);
        const result = 'event' in read ? consolidateValidEvent(read.event) : undefined;
        if (result?.kind === 'post') sample.push(result.post);
      }
      await Promise.all([
        decideBatch(sample, manifests, local, memberships).catch((error: unknown) => {
          // A manifest that needs a remote feature stops the sample batch there; the rest was warmed up.
          if (!(error instanceof EvaluationError)) throw error;
        }),
        labeler.warmUp(sample.slice(0, SIGNED_PER_ROUND)),
      ]);
    }
  } catch (error) {
    logger?.warn({ err: error }, 'warm-up failed; reading the stream without it');
    return;
  }
  logger?.info({ ms: Math.round(performance.now() - started) }, 'evaluation and signing warmed up; reading the stream');
}
