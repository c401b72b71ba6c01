/**
 * Builds `training/news_without_science.jsonl` (the shipped model's training file) from
 * `../shared/data/political/llm_labeled_posts.jsonl`: a post is labelled 1 ("news, not science")
 * when the LLM teacher marked it sociopolitical and it does not mention science by the same pattern
 * the example manifest uses (plus a few close words), 0 otherwise. Run: `npm run train:news-without-science`.
 */
import fs from 'node:fs';

const SOURCE = '../shared/data/political/llm_labeled_posts.jsonl';
const TARGET = 'training/news_without_science.jsonl';
export const SCIENCE = /\b(science|sciences|scientific|scientists?|study|studies|research|researchers?|paper|papers|arxiv|journal|physics|biology|chemistry)\b/i;

const lines = fs
  .readFileSync(SOURCE, 'utf8')
  .split('\n')
  .filter((l) => l.trim());
const examples = lines.map((line) => {
  const post = JSON.parse(line) as { source: string; ref: string; text: string; is_sociopolitical: boolean };
  return { text: post.text, label: post.is_sociopolitical && !SCIENCE.test(post.text) ? 1 : 0, source: post.source, ref: post.ref };
});
fs.writeFileSync(TARGET, examples.map((e) => JSON.stringify(e)).join('\n') + '\n');
const science = examples.filter((e) => SCIENCE.test(e.text)).length;
console.log(`${TARGET}: ${examples.length} examples, ${examples.filter((e) => e.label).length} positive, ${science} mention science`);
