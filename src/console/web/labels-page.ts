import type { LabelOverride as Override, LabelStateRow } from '../../label/store.ts';
import { api } from './api.ts';
import { clear, h, time } from './dom.ts';
import { explanationTree, highlighted, matchedSpans, type TraceEntry } from './explanation.ts';

/** A label state row as the labels API sends it: without its stored explanation. */
type LabelRow = Omit<LabelStateRow, 'explanation'>;

interface Subject {
  uri: string;
  post: { text: string; author: { did: string; handle?: string }; createdAt: string | null } | null;
  labels: (LabelRow & { explanation: TraceEntry[]; override: Override | null })[];
  overrides: Override[];
  history: { id: number; val: string; neg: boolean; cts: string }[];
}

/** Who the console records as deciding: a name the operator gives once, kept in this browser. */
export const decider = () => localStorage.getItem('skysift-console-by') ?? 'operator';

function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, label, input);
}

/** One subject: its post, each label with the leaves that decided it and any decision by hand, its label log; apply / negate / clear. */
async function subjectView(root: HTMLElement, uri: string, values: string[]): Promise<void> {
  const subject = await api<Subject>(`subject?uri=${encodeURIComponent(uri)}`);
  const reason = h('input', { placeholder: 'reason (recorded)', name: 'reason' });
  const decide = async (val: string, active: boolean) => {
    await api('labels', { method: 'POST', body: { uri, val, active, reason: reason.value || undefined, by: decider() } });
    await subjectView(root, uri, values);
  };
  const clearDecision = async (val: string) => {
    await api('labels/clear', { method: 'POST', body: { uri, val, by: decider() } });
    await subjectView(root, uri, values);
  };
  const apply = h(
    'select',
    { name: 'apply-value' },
    values.map((v) => h('option', { value: v }, v)),
  );
  const allSpans = subject.post ? subject.labels.flatMap((l) => matchedSpans(subject.post!.text, l.explanation)) : [];
  clear(
    root,
    h('h3', {}, h('code', {}, uri)),
    subject.post ? highlighted(subject.post.text, allSpans) : h('p', { class: 'muted' }, 'Not among the stored posts (an account, or pruned).'),
    h('div', { class: 'decide' }, reason, apply, h('button', { onclick: () => decide(apply.value, true) }, 'Apply by hand')),
    subject.labels.map((l) =>
      h(
        'div',
        { class: `subject-label ${l.active ? 'active' : 'negated'}`, 'data-label': l.val },
        h(
          'div',
          {},
          h('strong', {}, l.val),
          ` ${l.active ? 'applied' : 'negated'} at ${time(l.cts)} (${l.manifestVersion})`,
          ' ',
          l.active ? h('button', { class: 'danger', onclick: () => decide(l.val, false) }, 'Negate') : h('button', { onclick: () => decide(l.val, true) }, 'Apply'),
        ),
        l.override
          ? h(
              'p',
              { class: 'override' },
              `Decided by hand: ${l.override.active ? 'applied' : 'negated'} by ${l.override.createdBy} at ${time(l.override.createdAt)}${l.override.reason ? `: ${l.override.reason}` : ''} `,
              h('button', { onclick: () => clearDecision(l.val) }, 'Clear'),
            )
          : null,
        explanationTree(l.explanation),
      ),
    ),
    h('h4', {}, 'Label log'),
    h(
      'ul',
      { class: 'history' },
      subject.history.map((e) => h('li', {}, `#${e.id} ${time(e.cts)} ${e.neg ? 'negated' : 'applied'} ${e.val}`)),
    ),
  );
}

/** The labels page: search label state by value, subject and time; a subject's labels in detail. */
export async function labelsPage(root: HTMLElement, uri?: string): Promise<void> {
  const values = (await api<{ manifests: { label: string | null }[] }>('manifests')).manifests.flatMap((m) => (m.label ? [m.label] : []));
  const val = h(
    'select',
    { name: 'val' },
    h('option', { value: '' }, 'any label'),
    values.map((v) => h('option', { value: v }, v)),
  );
  const subject = h('input', { name: 'subject', placeholder: 'at://did:…/app.bsky.feed.post/… or did:…', size: 50 });
  const since = h('input', { name: 'since', type: 'datetime-local' });
  const until = h('input', { name: 'until', type: 'datetime-local' });
  const active = h('select', { name: 'active' }, h('option', { value: '' }, 'applied or negated'), h('option', { value: 'true' }, 'applied'), h('option', { value: 'false' }, 'negated'));
  const by = h('input', { name: 'by', value: decider(), size: 12, onchange: () => localStorage.setItem('skysift-console-by', by.value) });
  const results = h('div');
  const detail = h('div', { class: 'detail' });
  const search = async () => {
    const query = new URLSearchParams();
    if (val.value) query.set('val', val.value);
    if (subject.value) query.set('subject', subject.value.trim());
    if (since.value) query.set('since', new Date(since.value).toISOString());
    if (until.value) query.set('until', new Date(until.value).toISOString());
    if (active.value) query.set('active', active.value);
    const { labels } = await api<{ labels: LabelRow[] }>(`labels?${query}`);
    clear(
      results,
      h(
        'table',
        { class: 'labels' },
        h(
          'tr',
          {},
          ['label', 'subject', 'state', 'decided', 'version'].map((t) => h('th', {}, t)),
        ),
        labels.map((l) =>
          h(
            'tr',
            {},
            h('td', {}, l.val),
            h('td', {}, h('a', { href: `#labels/${encodeURIComponent(l.uri)}` }, l.uri)),
            h('td', {}, l.active ? 'applied' : 'negated'),
            h('td', {}, time(l.cts)),
            h('td', {}, l.manifestVersion),
          ),
        ),
      ),
      h('p', { class: 'muted' }, `${labels.length} shown (newest first).`),
    );
  };
  clear(
    root,
    h('h2', {}, 'Labels'),
    h(
      'form',
      { class: 'search', onsubmit: (e: Event) => (e.preventDefault(), void search()) },
      field('label', val),
      field('subject', subject),
      field('since', since),
      field('until', until),
      field('state', active),
      h('button', { type: 'submit' }, 'Search'),
      field('decide as', by),
    ),
    results,
    detail,
  );
  await search();
  if (uri) await subjectView(detail, uri, values);
}
