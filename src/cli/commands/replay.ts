import { loadConfig } from '../../config.ts';
import { stderrLogger } from '../../log.ts';
import { openStages } from '../../service.ts';
import type { Command } from '../command.ts';
import { jsonlBatches } from '../jsonl.ts';

const BATCH = 256;

export const replay: Command = {
  name: 'replay',
  summary: 'Run the full pipeline (consolidate → evaluate → label, into DATA_DIR) over a recorded Jetstream capture (JSONL); prints totals and counts per label.',
  usage: 'replay <events.jsonl>',
  positionals: { min: 1, max: 1 },
  async run({ positionals }) {
    const config = loadConfig();
    const logger = stderrLogger(config.LOG_LEVEL);
    const stages = await openStages(config, logger);
    await stages.labeler.resume();
    const totals = { events: 0, malformedLines: 0, labelled: 0, negated: 0, labels: {} as Record<string, { labelled: number; negated: number }> };
    const count = (val: string, kind: 'labelled' | 'negated') => ((totals.labels[val] ??= { labelled: 0, negated: 0 })[kind] += 1);
    try {
      for await (const lines of jsonlBatches(positionals[0]!, BATCH)) {
        totals.events += lines.length;
        totals.malformedLines += lines.filter((l) => 'error' in l).length;
        const summary = await stages.pipeline(lines.flatMap((l) => ('value' in l ? [l.value] : [])));
        totals.labelled += summary.labelled.length;
        totals.negated += summary.negated.length;
        for (const row of summary.labelled) count(row.val, 'labelled');
        for (const row of summary.negated) count(row.val, 'negated');
      }
    } finally {
      await stages.close();
    }
    console.log(JSON.stringify(totals));
    return 0;
  },
};
