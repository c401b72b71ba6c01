import type { PreviewResult as Preview } from '../backtest.ts';
import { api, ApiError, jobResult, type Job, type Problem } from './api.ts';
import { clear, h } from './dom.ts';
import { manifestEditor, type ManifestEditor } from './editor.ts';
import { explanationTree, highlighted, matchedSpans } from './explanation.ts';
import { filterTree } from './filter-tree.ts';
import type { JsonSchema } from './schema-completion.ts';

interface ManifestRow {
  name: string;
  label: string | null;
  status: string;
  version: string | null;
  problems: Problem[];
  active: number;
  labelledLastHour: number;
  labelledLastDay: number;
}

interface ManifestList {
  manifests: ManifestRow[];
  posts: { lastHour: number; lastDay: number; stored: number };
}

interface History {
  scanned: number;
  labelled: number;
  negated: number;
  overridden: number;
  dryRun: boolean;
}

let schema: JsonSchema | undefined;
const rate = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)}%` : '—');

function problemList(problems: readonly Problem[]): HTMLElement {
  return h(
    'ul',
    { class: 'problems' },
    problems.map((p) => h('li', {}, h('code', {}, p.path), ` ${p.message}`)),
  );
}

function listView(list: ManifestList): HTMLElement {
  const { posts } = list;
  return h(
    'section',
    { class: 'manifest-list' },
    h('h2', {}, 'Manifests'),
    h('p', { class: 'muted' }, `${posts.stored} stored posts; ${posts.lastHour} in the last hour, ${posts.lastDay} in the last day.`),
    h(
      'table',
      {},
      h(
        'tr',
        {},
        ['file', 'label', 'status', 'active labels', 'last hour', 'last day'].map((t) => h('th', {}, t)),
      ),
      list.manifests.map((m) =>
        h(
          'tr',
          { class: `status-${m.status.split(',')[0]}`, 'data-manifest': m.name },
          h('td', {}, h('a', { href: `#manifests/${m.name}` }, m.name)),
          h('td', {}, m.label ?? '—'),
          h('td', {}, h('span', { class: 'status' }, m.status), m.problems.length ? problemList(m.problems) : null),
          h('td', { class: 'num' }, m.active),
          h('td', { class: 'num', title: 'labelled in the last hour / posts stored in the last hour' }, `${m.labelledLastHour} (${rate(m.labelledLastHour, posts.lastHour)})`),
          h('td', { class: 'num' }, `${m.labelledLastDay} (${rate(m.labelledLastDay, posts.lastDay)})`),
        ),
      ),
    ),
    h('p', {}, h('button', { onclick: newManifest }, '+ new manifest')),
  );
}

function newManifest(): void {
  const name = prompt('File name of the new manifest (e.g. my-label.json)');
  if (name) location.hash = `manifests/${name.endsWith('.json') ? name : `${name}.json`}`;
}

function previewView(preview: Preview): HTMLElement {
  return h(
    'div',
    { class: 'preview-result' },
    h(
      'p',
      { class: 'counts' },
      `Over ${preview.scanned} of ${preview.total} stored posts${preview.complete ? '' : ' (time budget reached)'}: the edit matches `,
      h('strong', { 'data-count': 'edited' }, preview.matched.edited),
      `, the running version ${preview.matched.current}. It would label `,
      h('strong', { 'data-count': 'labelled' }, preview.labelled),
      ' and negate ',
      h('strong', { 'data-count': 'negated' }, preview.negated),
      `${preview.undecided ? `; ${preview.undecided} undecided` : ''}.`,
    ),
    preview.samples.map((s) =>
      h(
        'div',
        { class: `sample change-${s.change}` },
        h('div', { class: 'sample-head' }, h('span', { class: 'badge' }, s.change), ' ', h('code', {}, s.uri)),
        highlighted(s.text, matchedSpans(s.text, s.explanation)),
        h('details', {}, h('summary', {}, 'why'), explanationTree(s.explanation)),
      ),
    ),
  );
}

function progressBar(job: Job<unknown>): HTMLElement {
  const { scanned, total } = job.progress;
  return h('div', { class: 'progress' }, h('progress', { max: Math.max(total, 1), value: scanned }), ` ${scanned} / ${total} posts`);
}

async function editorView(root: HTMLElement, name: string, refresh: () => void): Promise<void> {
  schema ??= await api<JsonSchema>('schema');
  let text: string;
  try {
    text = (await api<{ text: string }>(`manifests/${encodeURIComponent(name)}`)).text;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    text = JSON.stringify(
      {
        $schema: '../docs/manifest.schema.json',
        label: {
          value: name
            .replace(/\.json$/, '')
            .toLowerCase()
            .replace(/[^a-z-]/g, '-'),
          locales: [{ lang: 'en', name, description: '' }],
        },
        filter: { and: [] },
      },
      null,
      2,
    );
  }
  const tree = h('div', { class: 'tree-pane' });
  const problems = h('div', { class: 'editor-problems' });
  const output = h('div', { class: 'output' });
  const editorPane = h('div', { class: 'editor-pane' });
  let editor: ManifestEditor | undefined;
  const showChecked = (found: Problem[], current: string) => {
    clear(problems, found.length ? problemList(found) : h('p', { class: 'ok' }, 'No problems: this version would load.'));
    clear(
      tree,
      filterTree(current, found, (from, to) => editor?.select(from, to)),
    );
  };
  const run = async (label: string, work: () => Promise<void>) => {
    clear(output, h('p', { class: 'muted' }, `${label}…`));
    try {
      await work();
    } catch (error) {
      clear(output, h('p', { class: 'error' }, (error as Error).message), error instanceof ApiError && error.body.problems ? problemList(error.body.problems) : '');
    }
  };
  const save = (confirmBroken: boolean) =>
    run('Saving', async () => {
      try {
        const saved = await api<{ manifest?: ManifestRow }>(`manifests/${encodeURIComponent(name)}`, { method: 'PUT', body: { text: editor!.text(), confirmBroken } });
        clear(
          output,
          h('p', { class: 'saved' }, `Saved ${name}: ${saved.manifest?.status ?? 'written'}${saved.manifest?.version ? ` (version ${saved.manifest.version})` : ''}.`),
          h('button', { onclick: () => history(true) }, 'Apply to stored posts…'),
        );
        refresh();
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 409 && error.body.problems)) throw error;
        clear(output, h('p', { class: 'error' }, error.message), problemList(error.body.problems), h('button', { class: 'danger', onclick: () => save(true) }, 'Save anyway'));
      }
    });
  const preview = () =>
    run('Previewing', async () => {
      const job = await api<Job<Preview>>(`manifests/${encodeURIComponent(name)}/preview`, { method: 'POST', body: { text: editor!.text() } });
      clear(output, previewView(await jobResult(job, (j) => clear(output, progressBar(j)))));
    });
  const history = (dryRun: boolean) =>
    run(dryRun ? 'Counting what would change' : 'Applying to stored posts', async () => {
      const job = await api<Job<History>>(`manifests/${encodeURIComponent(name)}/history`, { method: 'POST', body: { dryRun } });
      const result = await jobResult(job, (j) => clear(output, progressBar(j)));
      const line = `${result.dryRun ? 'Would label' : 'Labelled'} ${result.labelled} and ${result.dryRun ? 'negate' : 'negated'} ${result.negated} of ${result.scanned} stored posts${result.overridden ? ` (${result.overridden} held by decisions by hand)` : ''}.`;
      clear(output, h('p', { class: 'history' }, line), result.dryRun && result.labelled + result.negated ? h('button', { class: 'danger', onclick: () => history(false) }, 'Apply') : '');
    });
  clear(
    root,
    h('h2', {}, name),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { onclick: () => save(false) }, 'Save'),
      h('button', { onclick: preview }, 'Preview over stored posts'),
      h('button', { onclick: () => history(true) }, 'Apply to history (dry run)…'),
    ),
    h('div', { class: 'edit' }, editorPane, tree),
    problems,
    output,
  );
  editor = manifestEditor(editorPane, name, text, () => schema, showChecked);
  showChecked([], text);
}

/** The manifests page: the list, and the editor of the one in the hash (`#manifests/name.json`). */
export async function manifestsPage(root: HTMLElement, name?: string): Promise<void> {
  const list = h('div');
  const detail = h('div', { class: 'detail' });
  const refresh = () => void api<ManifestList>('manifests').then((l) => clear(list, listView(l)));
  clear(root, list, detail);
  refresh();
  if (name) await editorView(detail, name, refresh);
}
