import { api } from './api.ts';
import { clear, h, time } from './dom.ts';
import { decider } from './labels-page.ts';

interface Report {
  id: number;
  reasonType: string;
  reason: string | null;
  subject: { type: string; uri: string };
  reportedBy: string;
  createdAt: string;
  appealed: string[] | null;
  appeal: boolean;
  status: string;
  resolvedBy: string | null;
  resolution: string | null;
}

/** The reports and appeals queue: open ones first, each resolved with a reason (upholding an appeal negates the label by hand). */
export async function reportsPage(root: HTMLElement, status = 'open'): Promise<void> {
  const [{ reports, counts }, { manifests }] = await Promise.all([
    api<{ reports: Report[]; counts: Record<string, number> }>(`reports?status=${status}`),
    api<{ manifests: { label: string | null }[] }>('manifests'),
  ]);
  const values = manifests.flatMap((m) => (m.label ? [m.label] : []));
  const resolve = async (report: Report, outcome: 'upheld' | 'rejected', why: string, label?: string) => {
    await api(`reports/${report.id}/resolve`, { method: 'POST', body: { outcome, why, by: decider(), ...(label ? { label } : {}) } });
    await reportsPage(root, status);
  };
  clear(
    root,
    h('h2', {}, 'Reports and appeals'),
    h(
      'p',
      {},
      ['open', 'resolved', 'all'].map((s) => h('a', { href: `#reports/${s}`, class: s === status ? 'current' : '' }, `${s}${s === 'open' ? ` (${counts.open ?? 0})` : ''}`)).flatMap((a) => [a, ' ']),
    ),
    reports.length ? '' : h('p', { class: 'muted' }, 'Nothing here.'),
    reports.map((r) => {
      const why = h('input', { placeholder: 'why (required, recorded)' });
      const label = h(
        'select',
        {},
        (r.appeal ? [...(r.appealed ?? [])] : values).map((v) => h('option', { value: v }, v)),
      );
      return h(
        'div',
        { class: `report status-${r.status}`, 'data-report': r.id },
        h(
          'div',
          {},
          h('strong', {}, `#${r.id} ${r.appeal ? `appeal of ${r.appealed?.join(', ')}` : r.reasonType.replace(/^.*#reason/, '')}`),
          ` on `,
          h('a', { href: `#labels/${encodeURIComponent(r.subject.uri)}` }, r.subject.uri),
        ),
        h('p', {}, `by ${r.reportedBy} at ${time(r.createdAt)}${r.reason ? `: “${r.reason}”` : ''}`),
        r.status === 'open'
          ? h(
              'div',
              { class: 'decide' },
              why,
              label,
              h('button', { onclick: () => void resolve(r, 'upheld', why.value, label.value) }, r.appeal ? 'Uphold (negate label)' : 'Uphold (apply label)'),
              h('button', { onclick: () => void resolve(r, 'rejected', why.value) }, 'Reject'),
            )
          : h('p', { class: 'muted' }, `${r.status} by ${r.resolvedBy}: ${r.resolution}`),
      );
    }),
  );
}
