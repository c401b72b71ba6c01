import { loadConfig } from '../../config.ts';
import { stderrLogger } from '../../log.ts';
import { openStages } from '../../service.ts';
import type { Command } from '../command.ts';
import { inputFile } from '../inputs.ts';
import { jsonlBatches } from '../jsonl.ts';
import { manifestsDir } from '../loaded-manifests.ts';
import { progress } from '../progress.ts';

const BATCH = 256;

export const replay: Command = {
  name: 'replay',
  summary: 'Run the full pipeline (consolidate → evaluate → label, into DATA_DIR) over a recorded Jetstream capture (JSONL); prints totals and counts per label.',
  usage: 'replay <events.jsonl>',
  positionals: { min: 1, max: 1 },
  async run({ positionals }) {
    const file = inputFile(positionals[0]!, 'a JSON-lines file of Jetstream events (one event per line, as Jetstream sends them)');
    const config = loadConfig();
    manifestsDir(config);
    const logger = stderrLogger(config.LOG_LEVEL);
    const stages = await openStages(config, logger);
    const totals = { events: 0, malformedLines: 0, labelled: 0, negated: 0, labels: {} as Record<string, { labelled: number; negated: number }> };
    const count = (val: string, kind: 'labelled' | 'negated') => ((totals.labels[val] ??= { labelled: 0, negated: 0 })[kind] += 1);
    const shown = progress('replay');
    const started = performance.now();
    try {
      for await (const lines of jsonlBatches(file, BATCH)) {
        totals.events += lines.length;
        totals.malformedLines += lines.filter((l) => 'error' in l).length;
        const summary = await stages.pipeline(lines.flatMap((l) => ('value' in l ? [l.value] : [])));
        totals.labelled += summary.labelled.length;
        totals.negated += summary.negated.length;
        for (const row of summary.labelled) count(row.val, 'labelled');
        for (const row of summary.negated) count(row.val, 'negated');
        const rate = Math.round(totals.events / ((performance.now() - started) / 1000));
        shown.update(`${totals.events.toLocaleString('en-US')} events (${rate.toLocaleString('en-US')}/s), ${totals.labelled.toLocaleString('en-US')} labels`);
      }
    } finally {
      shown.done();
      await stages.close();
    }
    console.log(JSON.stringify(totals));
    return 0;
  },
};
