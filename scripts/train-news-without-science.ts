/**
 * `npm run train:news-without-science -- <political data dir>`: rebuilds the shipped
 * `models/news_without_science/` from `<dir>/llm_labeled_posts.jsonl` (LLM-labelled posts that may not be
 * redistributed, so they stay outside the repository; see the model card for where they come from).
 * A post is labelled 1 ("news, not science") when the LLM teacher marked it sociopolitical and it does not
 * mention science by the same pattern the example manifest uses (plus a few close words), 0 otherwise.
 * The assembled examples go to `training/news_without_science.jsonl` (not committed), then `skysift train` runs on them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { main } from '../src/cli/main.ts';

const TARGET = 'training/news_without_science.jsonl';
const SCIENCE = /\b(science|sciences|scientific|scientists?|study|studies|research|researchers?|paper|papers|arxiv|journal|physics|biology|chemistry)\b/i;

const dataDir = process.argv[2];
const source = dataDir && path.join(dataDir, 'llm_labeled_posts.jsonl');
if (!source || !fs.existsSync(source)) {
  console.error(
    `${dataDir ? `${source} does not exist` : 'no data directory given'}: run npm run train:news-without-science -- <dir holding llm_labeled_posts.jsonl> (see models/news_without_science/MODEL_CARD.md for where it comes from)`,
  );
  process.exit(2);
}

const examples = fs
  .readFileSync(source, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((line) => {
    const post = JSON.parse(line) as { source: string; ref: string; text: string; is_sociopolitical: boolean };
    return { text: post.text, label: post.is_sociopolitical && !SCIENCE.test(post.text) ? 1 : 0, source: post.source, ref: post.ref };
  });
fs.writeFileSync(TARGET, examples.map((e) => JSON.stringify(e)).join('\n') + '\n');
const science = examples.filter((e) => SCIENCE.test(e.text)).length;
console.log(`${TARGET}: ${examples.length} examples, ${examples.filter((e) => e.label).length} positive, ${science} mention science`);
process.exitCode = await main([
  'train',
  'news_without_science',
  '--data',
  TARGET,
  '--features',
  'time_features,vectorizer:universal-sentence-encoder,post_metadata',
  '--about',
  'training/news_without_science.md',
]);
