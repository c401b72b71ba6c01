import { readSecret } from '../config.ts';
import { provide, type ServiceContext, type ServicePart } from '../core/services.ts';
import { openDatabase } from '../store/database.ts';
import { LLM_CLASSIFIER, LlmClassifier } from './classifier.ts';

/**
 * The LLM capability: with LLM_BASE_URL set, a shared LlmClassifier for `llm_classification` (compile
 * service and `llm` feature provider); unset, nothing, so manifests using the operator are rejected.
 * Without the service's database (offline commands) answers are cached in memory for the run.
 */
export function openLlm({ config, db, logger }: ServiceContext): ServicePart {
  if (!config.LLM_BASE_URL) return {};
  if (!config.LLM_MODEL) throw new Error('LLM_BASE_URL is set but LLM_MODEL is not: name the model to ask');
  const apiKey = readSecret(config, 'LLM_API_KEY');
  const cacheDb = db ?? openDatabase(':memory:').db;
  const classifier = new LlmClassifier({
    baseUrl: config.LLM_BASE_URL,
    model: config.LLM_MODEL,
    ...(apiKey && { apiKey }),
    timeoutMs: config.LLM_TIMEOUT_SECONDS * 1000,
    batchSize: config.LLM_BATCH_SIZE,
    concurrency: config.LLM_CONCURRENCY,
    requestsPerMinute: config.LLM_REQUESTS_PER_MINUTE,
    maxAttempts: config.LLM_MAX_ATTEMPTS,
    db: cacheDb,
    logger,
  });
  logger.info({ baseUrl: config.LLM_BASE_URL, model: config.LLM_MODEL, batchSize: config.LLM_BATCH_SIZE }, 'LLM classification available');
  return {
    compile: [provide(LLM_CLASSIFIER, classifier)],
    providers: [classifier.provider],
    close: () => {
      logger.info({ ...classifier.stats }, 'LLM classification totals');
      if (!db) cacheDb.close();
    },
  };
}
