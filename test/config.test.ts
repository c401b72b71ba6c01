import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, ConfigSchema, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('fills defaults from an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.DATA_DIR, './data');
    assert.equal(config.LOG_LEVEL, 'info');
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ DATA_DIR: '' }).DATA_DIR, './data');
  });

  it('lists every bad variable in one error', () => {
    const bad = { LOG_LEVEL: 'loud', LABELER_PORT: '70000' };
    try {
      loadConfig(bad);
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 2);
      for (const key of Object.keys(bad)) assert.match(error.message, new RegExp(`${key}:`));
    }
  });

  it('is documented: every variable appears in the README config table', () => {
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const key of Object.keys(ConfigSchema.shape)) assert.match(readme, new RegExp(`\\| \`${key}\` \\|`), `${key} missing from README`);
  });
});
