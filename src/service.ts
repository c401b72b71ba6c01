import path from 'node:path';
import { databasePath, redactConfig, type Config } from './config.ts';
import { POST_COLLECTION } from './consolidate/jetstream.ts';
import { JetstreamSource } from './ingest/jetstream.ts';
import { resolveIdentity } from './label/identity.ts';
import { Labeler } from './label/index.ts';
import type { Logger } from './log.ts';
import { ManifestWatcher } from './manifests/watch.ts';
import { createPipeline } from './pipeline.ts';
import { openDatabase } from './store/database.ts';
import { KeyValueStore } from './store/kv.ts';

export interface Service {
  /** Where the labeler serves `subscribeLabels` and `queryLabels`. */
  address: string;
  source: JetstreamSource;
  stop(): Promise<void>;
}

/** Starts the labeler: storage, manifests, the label server, then the stream. */
export async function startService(config: Config, logger: Logger): Promise<Service> {
  logger.info({ config: redactConfig(config) }, 'starting skysift');
  const dbFile = databasePath(config);
  const { db, applied } = openDatabase(dbFile);
  logger.info({ dataDir: path.resolve(config.DATA_DIR), database: dbFile, migrationsApplied: applied }, 'storage ready');
  const manifests = new ManifestWatcher(config.MANIFESTS_DIR, logger);
  await manifests.start();
  const identity = await resolveIdentity(config, logger);
  const labeler = new Labeler({ identity, db, dataDir: config.DATA_DIR, logger });
  const address = await labeler.start(config.LABELER_PORT);
  logger.info({ address, did: identity.did }, 'labeler serving subscribeLabels and queryLabels');
  const pipeline = createPipeline({ labeler, manifests: () => manifests.current(), logger });
  const source = new JetstreamSource({
    endpoint: config.JETSTREAM_URL,
    wantedCollections: [POST_COLLECTION],
    kv: new KeyValueStore(db),
    logger,
    rewindSeconds: config.JETSTREAM_REWIND_SECONDS,
    handle: async (events) => {
      await pipeline(events);
    },
  });
  source.start();

  return {
    address,
    source,
    async stop() {
      await source.stop();
      manifests.stop();
      await labeler.close();
      db.close();
      logger.info('stopped');
    },
  };
}
