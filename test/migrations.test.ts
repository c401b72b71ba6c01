import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS_DIR, openDatabase } from '../src/store/database.ts';
import { MigrationError, migrate } from '../src/store/migrations.ts';

describe('migrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-migrations-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a fresh database in WAL mode with every shipped migration recorded', () => {
    const file = path.join(dir, 'data', 'db.sqlite');
    const { db, applied } = openDatabase(file);
    const shipped = fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    assert.deepEqual(applied, shipped);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.deepEqual(db.prepare('SELECT file FROM schema_migrations ORDER BY version').pluck().all(), shipped);
    db.close();
  });

  it('is a no-op when run again', () => {
    const file = path.join(dir, 'db.sqlite');
    openDatabase(file).db.close();
    const { db, applied } = openDatabase(file);
    assert.deepEqual(applied, []);
    db.close();
  });

  it('rolls back every pending migration when one fails, naming the file and the SQL error', () => {
    const migrations = path.join(dir, 'migrations');
    fs.mkdirSync(migrations);
    fs.writeFileSync(path.join(migrations, '001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    fs.writeFileSync(path.join(migrations, '002_b.sql'), 'CREATE TABLE b (x INTEGER);\nINSERT INTO a VALUES (1);');
    fs.writeFileSync(path.join(migrations, '003_broken.sql'), 'CREATE TABLE c (x INTEGER);\nCREATE TABLEE oops;');
    const db = new Database(path.join(dir, 'db.sqlite'));
    assert.throws(
      () => migrate(db, migrations),
      (error: unknown) => error instanceof MigrationError && error.file === '003_broken.sql' && /syntax error/.test(error.message),
    );
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a','b','c')").pluck().all();
    assert.deepEqual(tables, []);
    assert.equal(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get(), 0);

    fs.writeFileSync(path.join(migrations, '003_broken.sql'), 'CREATE TABLE c (x INTEGER);');
    assert.deepEqual(migrate(db, migrations), ['001_a.sql', '002_b.sql', '003_broken.sql']);
    assert.equal(db.prepare('SELECT count(*) FROM a').pluck().get(), 1);
    db.close();
  });

  it('refuses two files with the same version', () => {
    const migrations = path.join(dir, 'migrations');
    fs.mkdirSync(migrations);
    fs.writeFileSync(path.join(migrations, '001_a.sql'), 'SELECT 1;');
    fs.writeFileSync(path.join(migrations, '001_b.sql'), 'SELECT 1;');
    const db = new Database(':memory:');
    assert.throws(() => migrate(db, migrations), /version 1 is also used/);
    db.close();
  });
});
