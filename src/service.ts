import path from 'node:path';
import { databasePath, redactConfig, type Config } from './config.ts';
import type { Logger } from './log.ts';
import { ManifestWatcher } from './manifests/watch.ts';
import { openDatabase } from './store/database.ts';

export interface Service {
  stop(): Promise<void>;
}

/** Starts the labeler: storage first, then the pipeline stages. */
export async function startService(config: Config, logger: Logger): Promise<Service> {
  logger.info({ config: redactConfig(config) }, 'starting skysift');
  const dbFile = databasePath(config);
  const { db, applied } = openDatabase(dbFile);
  logger.info({ dataDir: path.resolve(config.DATA_DIR), database: dbFile, migrationsApplied: applied }, 'storage ready');
  const manifests = new ManifestWatcher(config.MANIFESTS_DIR, logger);
  await manifests.start();

  return {
    async stop() {
      manifests.stop();
      db.close();
      logger.info('stopped');
    },
  };
}
