import { featurize } from '../src/political/features.ts';
import { loadToxicityModel } from '../src/toxicity/load.ts';
import { ngramToxicity } from '../src/toxicity/model.ts';
import { toxicityText } from '../src/toxicity/text.ts';
import { SHIPPED_MODELS_DIR } from '../src/political/load.ts';
import { recordedPosts } from './_posts.ts';

/** Posts/s of the toxicity classifier's default mode (gather the text, featurise, score; no memo) over recorded posts. */
export async function run(): Promise<Record<string, number | string>> {
  const records = recordedPosts(2_000).map((p) => p.record);
  const model = loadToxicityModel(SHIPPED_MODELS_DIR);
  const score = (record: (typeof records)[number]) => ngramToxicity(model, featurize(toxicityText(record), model.bits));
  let checksum = 0;
  for (const record of records) checksum += score(record); // warm-up
  let scored = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 2) {
    for (const record of records) checksum += score(record);
    scored += records.length;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  if (!Number.isFinite(checksum)) throw new Error('non-finite score');
  return { 'posts/s': Math.round(scored / elapsed) };
}
