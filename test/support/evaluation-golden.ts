/**
 * The evaluation golden file, `test/golden/evaluation.jsonl`: what the reference evaluator decides and
 * explains for the recorded traffic (617 real posts) under 104 rule manifests (the bench's classic
 * twenty, 80 generated ones, and the shipped rule manifests). One line per post: the explanation of
 * every manifest it matched, and a digest of every verdict with its explanation (matched or not), so
 * that any change in what is decided or explained shows up, named by post.
 *
 * Regenerate it only with `npm run golden`, and only when a change of verdicts or explanations is
 * intended: the diff of the file is then the review of that change.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Verdict } from '../../src/evaluate/index.ts';
import { compileManifest, type CompiledManifest } from '../../src/manifests/load.ts';
import { ROOT } from './cli.ts';
import { recordedTraffic } from './recorded-posts.ts';
import { ruleManifests } from './rule-manifests.ts';

export const GOLDEN_FILE = path.join(ROOT, 'test', 'golden', 'evaluation.jsonl');

const SHIPPED_RULES = ['art-hashtag.json', 'news-link.json', 'non-english.json', 'reply-with-images.json'];

export async function goldenManifests(): Promise<CompiledManifest[]> {
  const texts = [...ruleManifests(100).map((m, i) => [`rule-${i}.json`, JSON.stringify(m)]), ...SHIPPED_RULES.map((file) => [file, fs.readFileSync(path.join(ROOT, 'manifests', file), 'utf8')])];
  return Promise.all(
    texts.map(async ([file, text]) => {
      const { manifest, problems } = await compileManifest(file!, text!);
      if (!manifest) throw new Error(`${file}: ${JSON.stringify(problems)}`);
      return manifest;
    }),
  );
}

export const goldenPosts = recordedTraffic;

/** The golden file's text for the verdicts of every golden post (in order) under every golden manifest. */
export function goldenText(verdicts: readonly Verdict[], manifestCount: number): string {
  const lines: string[] = [];
  for (let i = 0; i < verdicts.length; i += manifestCount) {
    const ofPost = verdicts.slice(i, i + manifestCount);
    const digest = createHash('sha256');
    for (const v of ofPost) digest.update(`${JSON.stringify([v.label, v.matched, v.explanation])}\n`);
    const matches = ofPost.filter((v) => v.matched).map((v) => ({ label: v.label, explanation: v.explanation }));
    lines.push(JSON.stringify({ uri: ofPost[0]!.uri, matches, digest: digest.digest('hex') }));
  }
  return `${lines.join('\n')}\n`;
}
