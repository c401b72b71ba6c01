import { startSession } from './api.ts';
import { clear, h } from './dom.ts';
import { healthPage } from './health-page.ts';
import { labelsPage } from './labels-page.ts';
import { manifestsPage } from './manifests-page.ts';
import { reportsPage } from './reports-page.ts';

const PAGES = ['manifests', 'labels', 'reports', 'health'] as const;

const banner = h('div', { class: 'banner', hidden: true });
const main = h('main');
const nav = h(
  'nav',
  {},
  h('strong', {}, 'skysift'),
  PAGES.map((p) => h('a', { href: `#${p}`, 'data-page': p }, p)),
);

function showError(error: unknown): void {
  banner.hidden = false;
  clear(banner, String((error as Error)?.message ?? error), ' ', h('button', { onclick: () => (banner.hidden = true) }, 'dismiss'));
}

/** `#page/argument`: the page and what it opens (a manifest file, a subject, a report status). */
async function route(): Promise<void> {
  const [page = 'manifests', ...rest] = location.hash.slice(1).split('/');
  const argument = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  for (const link of nav.querySelectorAll('a')) link.classList.toggle('current', link.dataset.page === page);
  banner.hidden = true;
  if (page === 'labels') await labelsPage(main, argument);
  else if (page === 'reports') await reportsPage(main, argument);
  else if (page === 'health') await healthPage(main);
  else await manifestsPage(main, argument);
}

window.addEventListener('unhandledrejection', (event) => showError(event.reason));
window.addEventListener('hashchange', () => void route().catch(showError));
document.getElementById('app')!.append(nav, banner, main);
await startSession();
await route().catch(showError);
