import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { ROOT } from './support/cli.ts';

const FIXTURE = path.join(ROOT, 'test/fixtures/import-graph');
const options = await extractDepcruiseOptions(path.join(ROOT, '.dependency-cruiser.cjs'));

/** The rules `npm test` applies to src/ (`npm run check:imports`), run on a copy of the fixture graph changed by `edit`: one line per violation. */
async function violations(edit: (src: string) => void = () => undefined): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-imports-'));
  try {
    fs.cpSync(FIXTURE, dir, { recursive: true });
    edit(path.join(dir, 'src'));
    const { output } = await cruise(['src'], { ...options, baseDir: dir });
    const result = output as ICruiseResult;
    assert.ok(result.summary.totalCruised >= 7, 'the fixture graph was read');
    return result.summary.violations.map((v) => `${v.rule.severity} ${v.rule.name}: ${v.cycle ? [v.from, ...v.cycle.map((c) => c.name)].join(' → ') : `${v.from} → ${v.to}`}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const prepend = (file: string, line: string) => fs.writeFileSync(file, `${line}\n${fs.readFileSync(file, 'utf8')}`);

describe('import rules (.dependency-cruiser.cjs)', () => {
  it('pass on the fixture graph, whose imports flow one way', async () => {
    assert.deepEqual(await violations(), []);
  });

  it('fail when a cycle is introduced, even one made only of type imports', async () => {
    const found = await violations((src) => prepend(path.join(src, 'operators/contains.ts'), "import type { operators } from './index.ts';"));
    // Without the type import (erased at run time) there is no cycle: the first test shows it.
    assert.deepEqual(found, ['error no-circular: src/operators/contains.ts → src/operators/index.ts → src/operators/contains.ts']);
  });

  it('fail when a layer imports one above it', async () => {
    const found = await violations((src) => prepend(path.join(src, 'core/operator.ts'), "import type { operators } from '../operators/index.ts';"));
    assert.ok(found.includes('error layer-core: src/core/operator.ts → src/operators/index.ts'), found.join('\n'));
  });

  it('fail when a stage reaches downstream: ingest into label', async () => {
    const found = await violations((src) => {
      fs.mkdirSync(path.join(src, 'ingest'));
      fs.writeFileSync(path.join(src, 'ingest/source.ts'), "import { labels } from '../label/index.ts';\n\nexport const source = labels;\n");
    });
    assert.deepEqual(found, ['error ingest-knows-nothing-downstream: src/ingest/source.ts → src/label/index.ts']);
  });

  it('fail when a module lives outside every layer', async () => {
    const found = await violations((src) => {
      fs.mkdirSync(path.join(src, 'misc'));
      fs.writeFileSync(path.join(src, 'misc/helpers.ts'), "import type { Post } from '../consolidate/post.ts';\n\nexport const text = (post: Post) => post.text;\n");
    });
    assert.deepEqual(found, ['error unplaced-module: src/misc/helpers.ts → src/consolidate/post.ts']);
  });
});
