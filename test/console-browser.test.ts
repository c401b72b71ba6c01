import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { CONSOLE_TOKEN, capturedPosts, regexManifest, startConsoleService, type ConsoleService } from './support/console-service.ts';
import { queryAllLabels } from './support/label-verifier.ts';

const CURRENT = regexManifest('mentions-the', '\\bthe\\b');
const EDITED = regexManifest('mentions-the', '\\b(the|a)\\b');
/** Screenshots go to a temporary folder; `npm run screenshots` writes the README's (docs/console/). */
const SHOTS = process.env.SKYSIFT_CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-shots-'));

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). Its absence fails the test: it is never skipped. */
function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('Chromium is not installed: the console browser test needs it (apt-get install chromium; .ci/run installs it)');
}

async function matchesOf(manifest: object): Promise<Set<string>> {
  const { manifest: compiled } = await compileManifest('m.json', JSON.stringify(manifest));
  return new Set((await evaluateBatch(capturedPosts(), [compiled!])).filter((v) => v.matched).map((v) => v.uri));
}

/** Replaces the editor's whole text as a paste would. */
async function typeManifest(page: Page, text: string): Promise<void> {
  await page.click('.cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await page.keyboard.press('Escape');
}

describe('operator console in a real browser (headless Chromium)', () => {
  let run: ConsoleService;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const executablePath = chromiumPath();
    run = await startConsoleService({ 'mentions-the.json': CURRENT });
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await run?.close();
  });

  it('logs in, shows an inline error, previews, saves (hot reload), applies to history and negates a label', async () => {
    const [current, edited] = [await matchesOf(CURRENT), await matchesOf(EDITED)];
    const added = [...edited].filter((uri) => !current.has(uri));
    assert.ok(added.length > 0, 'the edit labels more of the recorded posts');

    await page.goto(run.consoleUrl);
    assert.match(page.url(), /\/console\/login$/, 'no token: the login page');
    await page.fill('#token', CONSOLE_TOKEN);
    await page.click('button[type=submit]');
    const row = page.locator('tr[data-manifest="mentions-the.json"]');
    await row.waitFor();
    assert.match(await row.innerText(), /mentions-the\s+loaded\s+(\d+)/);
    assert.equal(Number(/loaded\s+(\d+)/.exec(await row.innerText())![1]), current.size);
    await page.screenshot({ path: path.join(SHOTS, 'manifests.png') });

    await page.goto(`${run.consoleUrl}#manifests/mentions-the.json`);
    await page.locator('.cm-content').waitFor();
    await typeManifest(page, '{"label": {"value": "mentions-the"}, "filter": {"or": [{"regex_a');
    await page.keyboard.press('Control+Space');
    const completion = page.locator('.cm-tooltip-autocomplete');
    await completion.waitFor();
    assert.match(await completion.innerText(), /regex_any/, 'operators completed from the manifest JSON Schema');
    await page.screenshot({ path: path.join(SHOTS, 'completion.png') });
    await typeManifest(page, JSON.stringify({ ...CURRENT, filter: { or: [{ regex_match: ['text', 'x'] }] } }, null, 2));
    await page.locator('.cm-lintRange-error').first().waitFor();
    assert.match(await page.locator('.editor-problems').innerText(), /filter\.or\[0\]\.regex_match/);
    await page.locator('.filter-tree .node.broken').first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'editor-error.png') });

    const text = JSON.stringify(EDITED, null, 2);
    await typeManifest(page, text);
    await page.locator('.editor-problems .ok').waitFor();
    await page.click('text=Preview over stored posts');
    await page.locator('.preview-result').waitFor();
    const count = async (name: string) => Number(await page.locator(`.preview-result [data-count=${name}]`).innerText());
    assert.equal(await count('edited'), edited.size);
    assert.equal(await count('labelled'), added.length);
    assert.equal(await count('negated'), 0);
    assert.ok((await page.locator('.preview-result .change-labelled mark').count()) > 0, 'matched spans highlighted');
    await page.screenshot({ path: path.join(SHOTS, 'preview.png'), fullPage: true });

    await page.click('text=Save');
    const { manifest: compiled } = await compileManifest('m.json', text);
    await page.locator(`.saved:has-text("version ${compiled!.version}")`).waitFor();
    const listed = await (await fetch(`${run.consoleUrl}/api/manifests`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } })).json();
    assert.equal(listed.manifests[0].version, compiled!.version, 'the service runs the saved version');

    await page.click('text=Apply to stored posts…');
    await page.locator(`.history:has-text("Would label ${added.length} and negate 0")`).waitFor();
    await page.click('.output button.danger');
    await page.locator(`.history:has-text("Labelled ${added.length} and negated 0")`).waitFor();
    const served = (await queryAllLabels(run.labelerUrl)).filter((l) => l.val === 'mentions-the' && !l.neg);
    assert.deepEqual(new Set(served.map((l) => l.uri)), edited);

    const uri = added[0]!;
    await page.goto(`${run.consoleUrl}#labels/${encodeURIComponent(uri)}`);
    const label = page.locator('.subject-label[data-label="mentions-the"]');
    await label.waitFor();
    await page.fill('input[name=reason]', 'a false positive');
    await label.locator('button:has-text("Negate")').click();
    await page.locator('.subject-label.negated[data-label="mentions-the"] .override').waitFor();
    const after = (await queryAllLabels(run.labelerUrl, [uri])).filter((l) => l.val === 'mentions-the');
    assert.equal(after.at(-1)!.neg, true, 'queryLabels serves the negation');
    await page.screenshot({ path: path.join(SHOTS, 'labels.png'), fullPage: true });

    await page.goto(`${run.consoleUrl}#health`);
    await page.locator('.charts').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'health.png') });
  });
});
