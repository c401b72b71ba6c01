import type { HealthPoint as Point } from '../health-sampler.ts';
import { api } from './api.ts';
import { clear, h, time } from './dom.ts';

interface Health {
  report: { status: string; problems: { component: string; reason: string }[]; manifests: number };
  points: Point[];
  errors: { time: string; msg: string; err?: string }[];
}

const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4d7c0f', '#be185d'];

/** A small line chart of one or more series over the same times, drawn as SVG (no chart library). */
function chart(title: string, points: readonly Point[], series: Record<string, (p: Point) => number | null>): HTMLElement {
  const width = 420;
  const height = 120;
  const values = Object.values(series).flatMap((f) => points.map(f).filter((v): v is number => v !== null));
  const max = Math.max(1e-9, ...values);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'chart');
  Object.values(series).forEach((f, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const coords = points.flatMap((p, x) => {
      const v = f(p);
      return v === null ? [] : [[(x / Math.max(1, points.length - 1)) * (width - 8) + 4, height - 4 - (v / max) * (height - 8)] as const];
    });
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', coords.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', colour);
    line.setAttribute('stroke-width', '2');
    svg.append(line);
    // Each sample as a dot too: the first minutes have too few for a line.
    for (const [x, y] of coords) {
      const dot = document.createElementNS(SVG, 'circle');
      for (const [name, value] of Object.entries({ cx: x.toFixed(1), cy: y.toFixed(1), r: '2.5', fill: colour })) dot.setAttribute(name, value);
      svg.append(dot);
    }
  });
  const last = points.at(-1);
  const legend = Object.entries(series).map(([name, f], i) => h('span', { class: 'legend', style: `color:${COLOURS[i % COLOURS.length]}` }, `${name} ${last ? (f(last)?.toFixed(1) ?? '—') : '—'}`));
  return h('figure', { class: 'chart-box' }, h('figcaption', {}, title, ` (max ${max.toFixed(1)})`), svg, h('div', {}, legend));
}

/** Health: the service's state, charts of its metrics sampled in-process, and the last errors it logged. */
export async function healthPage(root: HTMLElement): Promise<void> {
  const health = await api<Health>('health');
  const { report, points } = health;
  const labels = [...new Set(points.flatMap((p) => Object.keys(p.labelsPerMinute)))];
  clear(
    root,
    h('h2', {}, 'Health'),
    h('p', { class: `health-${report.status}` }, `Status: ${report.status}; ${report.manifests} manifests running.`),
    report.problems.length
      ? h(
          'ul',
          {},
          report.problems.map((p) => h('li', {}, `${p.component}: ${p.reason}`)),
        )
      : '',
    points.length ? '' : h('p', { class: 'muted' }, 'Charts fill in as the metrics are sampled (every few seconds).'),
    h(
      'div',
      { class: 'charts' },
      chart('events / s', points, { events: (p) => p.eventsPerSecond }),
      chart('posts evaluated / s', points, { posts: (p) => p.postsPerSecond }),
      chart('labels / min, by manifest', points, Object.fromEntries(labels.map((l) => [l, (p: Point) => p.labelsPerMinute[l] ?? 0]))),
      chart('cursor lag (s)', points, { lag: (p) => p.cursorLagSeconds }),
      chart('queue depth', points, { queued: (p) => p.queueDepth }),
    ),
    h('h3', {}, 'Last errors'),
    health.errors.length
      ? h(
          'ul',
          { class: 'errors' },
          health.errors.map((e) => h('li', {}, `${time(e.time)} ${e.msg}${e.err ? `: ${e.err}` : ''}`)),
        )
      : h('p', { class: 'muted' }, 'None logged since the start.'),
  );
}
