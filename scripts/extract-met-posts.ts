/**
 * `npm run extract:met-posts -- --repo <clone of METResearchGroup/bluesky-research> --out <met_posts.csv>`: collects every
 * Bluesky post text, with its author's DID where the file names one, from the data files (CSV, JSON lines, JSON) of every
 * commit of the MET research group's repository (MIT licence), leaving out its synthetic posts, its Reddit comments and
 * its intergroup experiments. The output (columns `DID`, `Text`) is an `--unlabelled` input of
 * `npm run train:static-embedder`; it stays outside this repository like the rest of the training data.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parseCsv } from '../src/models/train/dataset.ts';

const USAGE = 'usage: npm run extract:met-posts -- --repo <git clone of github.com/METResearchGroup/bluesky-research> --out <met_posts.csv>';
const { values } = parseArgs({ options: { repo: { type: 'string' }, out: { type: 'string' } } });
if (!values.repo || !values.out || !fs.existsSync(values.repo)) {
  console.error(values.repo && !fs.existsSync(values.repo) ? `${values.repo} does not exist` : 'missing --repo or --out');
  console.error(USAGE);
  process.exit(2);
}
const repo = values.repo;
const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });

const DATA_FILE = /\.(csv|jsonl|json)$/;
const NOT_POSTS = /synthetic|reddit|intergroup/;
const LIKELY_POSTS = /post|feed|sync|label|classif|pilot|data/;
const DID = /did:plc:[a-z0-9]+/;

// Every version of every data file, once (by blob id), in the order the history lists them.
const blobs = new Map<string, string>();
for (const commit of git('rev-list', '--all').toString().split('\n').filter(Boolean))
  for (const line of git('ls-tree', '-r', commit).toString().split('\n').filter(Boolean)) {
    const [meta, file] = line.split('\t') as [string, string];
    if (DATA_FILE.test(file) && !NOT_POSTS.test(file) && LIKELY_POSTS.test(file) && !blobs.has(meta.split(' ')[2]!)) blobs.set(meta.split(' ')[2]!, file);
  }

const posts = new Map<string, string | null>();
const add = (text: unknown, author: string | null) => {
  if (typeof text !== 'string') return;
  const t = text.trim();
  // Two characters at least (code points: one emoji is one character).
  if ([...t].length < 2) return;
  if (!posts.has(t) || (posts.get(t) === null && author)) posts.set(t, author);
};
/** A JSON value's `text` fields, each with the DID of the nearest enclosing `uri`, `did` or `author.did`. */
function walk(value: unknown, author: string | null): void {
  if (Array.isArray(value)) for (const v of value) walk(v, author);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    let a = author;
    for (const key of ['uri', 'did']) if (typeof o[key] === 'string') a = DID.exec(o[key])?.[0] ?? a;
    const by = o.author as Record<string, unknown> | undefined;
    if (by && typeof by === 'object' && typeof by.did === 'string') a = by.did;
    for (const [key, v] of Object.entries(o)) key === 'text' && typeof v === 'string' ? add(v, a) : walk(v, a);
  }
}
for (const [blob, file] of blobs) {
  let content: string;
  try {
    content = git('cat-file', '-p', blob).toString('utf8');
  } catch {
    // A partial clone may lack the largest blobs; what is there is still read.
    continue;
  }
  if (content.startsWith('version https://git-lfs')) continue;
  try {
    if (file.endsWith('.csv')) {
      const [header = [], ...rows] = parseCsv(content);
      const column = (name: string) => header.indexOf(name);
      const authorColumns = ['uri', 'did', 'Link', 'link', 'author_did'].map(column).filter((c) => c >= 0);
      const textColumns = ['text', 'Text'].map(column).filter((c) => c >= 0);
      for (const row of rows) {
        const author = authorColumns.map((c) => DID.exec(row[c] ?? '')?.[0]).find(Boolean) ?? null;
        for (const c of textColumns) if (row[c]) add(row[c], author);
      }
    } else if (file.endsWith('.jsonl')) {
      for (const line of content.split('\n'))
        try {
          walk(JSON.parse(line), null);
        } catch {
          // A line that is not JSON (a truncated export) holds no post we can read.
        }
    } else walk(JSON.parse(content), null);
  } catch {
    // A data file that does not parse (an export interrupted mid-write) is skipped whole.
  }
}
// Posts, not prompts: the LLM-labelling demos keep their prompt texts in `text` fields too.
const kept = [...posts].filter(([text]) => text.length <= 3000 && !text.slice(0, 200).includes('You are a'));
const quote = (field: string) => `"${field.replace(/"/g, '""')}"`;
fs.writeFileSync(values.out, `DID,Text\n${kept.map(([text, author]) => `${quote(author ?? '')},${quote(text)}`).join('\n')}\n`);
console.log(`${kept.length} post texts (${kept.filter(([, a]) => a).length} with an author) from ${blobs.size} file versions, written to ${values.out}`);
