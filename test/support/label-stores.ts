import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { PostgresLabelStore } from '../../src/label/postgres-store.ts';
import { SqliteLabelStore } from '../../src/label/sqlite-store.ts';
import type { LabelStore } from '../../src/label/store.ts';
import { openDatabase } from '../../src/store/database.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { startTestPostgres, type TestPostgres } from './postgres.ts';

const silent = pino({ level: 'silent' });

/** A fresh, empty label store; `connect` opens another store (another connection, as another process would) on the same data. */
export interface OpenedStore {
  store: LabelStore;
  /** A report id an override may name: a report in the SQLite file; PostgreSQL keeps no reports (they stay in each server's SQLite file). */
  reportId: number;
  connect(): Promise<LabelStore>;
  close(): Promise<void>;
}

/** Each implementation of `LabelStore`, so that one suite runs against all of them. */
export interface StoreKind {
  name: string;
  open(): Promise<OpenedStore>;
  stop(): Promise<void>;
}

export function sqliteStores(): StoreKind {
  return {
    name: 'SQLite',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-store-'));
      const file = path.join(dir, 'skysift.sqlite');
      const dbs = [openDatabase(file).db];
      const report = dbs[0]!
        .prepare("INSERT INTO reports (reason_type, subject_type, subject, reported_by, created_at) VALUES ('com.atproto.moderation.defs#reasonSpam', 'record', 'at://did:plc:olga/app.bsky.feed.post/1', 'did:plc:reporter', '2026-02-01T00:00:00.000Z')")
        .run();
      return {
        store: new SqliteLabelStore(dbs[0]!),
        reportId: Number(report.lastInsertRowid),
        async connect() {
          const { db } = openDatabase(file);
          dbs.push(db);
          return new SqliteLabelStore(db);
        },
        async close() {
          for (const db of dbs) db.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    async stop() {},
  };
}

/** PostgreSQL stores, each in its own database of one server started on first use (test/support/postgres.ts). */
export function postgresStores(): StoreKind {
  let server: Promise<TestPostgres> | undefined;
  let databases = 0;
  return {
    name: 'PostgreSQL',
    async open() {
      server ??= startTestPostgres();
      const base = (await server).url;
      const name = `labels_${process.pid}_${++databases}`;
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(base);
      url.pathname = `/${name}`;
      const opened: { pool: { end(): Promise<void> }; store: PostgresLabelStore }[] = [];
      const connect = async () => {
        const { pool } = await openPostgres(url.href);
        const store = await PostgresLabelStore.open(pool, silent);
        opened.push({ pool, store });
        return store;
      };
      return {
        store: await connect(),
        reportId: 7,
        connect,
        async close() {
          for (const { pool, store } of opened) {
            await store.close();
            await pool.end();
          }
        },
      };
    },
    async stop() {
      if (server) await (await server).stop();
    },
  };
}
