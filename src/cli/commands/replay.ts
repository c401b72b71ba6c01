import fs from 'node:fs';
import readline from 'node:readline';
import { loadConfig } from '../../config.ts';
import pino from 'pino';
import { createLogger } from '../../log.ts';
import { openStages } from '../../service.ts';
import type { Command } from '../command.ts';

const BATCH = 256;

export const replay: Command = {
  name: 'replay',
  summary: 'Run the full pipeline (consolidate → evaluate → label, into DATA_DIR) over a recorded Jetstream capture (JSONL).',
  usage: 'replay <events.jsonl>',
  positionals: { min: 1, max: 1 },
  async run({ positionals }) {
    const config = loadConfig();
    // stdout carries the totals; logs go to stderr.
    const logger = createLogger(config.LOG_LEVEL, { destination: pino.destination(2) });
    const stages = await openStages(config, logger);
    await stages.labeler.resume();
    const totals = { events: 0, malformedLines: 0, labelled: 0, negated: 0 };
    let batch: unknown[] = [];
    const flush = async () => {
      const summary = await stages.pipeline(batch);
      totals.labelled += summary.labelled.length;
      totals.negated += summary.negated.length;
      batch = [];
    };
    try {
      for await (const line of readline.createInterface({ input: fs.createReadStream(positionals[0]!), crlfDelay: Infinity })) {
        if (!line.trim()) continue;
        totals.events++;
        try {
          batch.push(JSON.parse(line));
        } catch {
          totals.malformedLines++;
        }
        if (batch.length >= BATCH) await flush();
      }
      await flush();
    } finally {
      await stages.close();
    }
    console.log(JSON.stringify(totals));
    return 0;
  },
};
