import { databasePath, loadConfig } from '../../config.ts';
import { resolveIdentity } from '../../label/identity.ts';
import { Labeler } from '../../label/index.ts';
import { SqliteLabelStore } from '../../label/sqlite-store.ts';
import type { LabelStateRow } from '../../label/store.ts';
import { stderrLogger } from '../../log.ts';
import { openDatabase } from '../../store/database.ts';
import type { Command } from '../command.ts';
import { reportingFailures } from '../failure.ts';
import { loadAllManifests } from '../loaded-manifests.ts';

function countByValue(rows: readonly LabelStateRow[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.val, (counts.get(row.val) ?? 0) + 1);
  return [...counts].map(([val, n]) => `  ${val}: ${n}`).join('\n');
}

export const relabel: Command = {
  name: 'relabel',
  summary: 'Negate the active labels of manifests no longer in MANIFESTS_DIR (signed and served like any label); --dry-run lists them. Run it with the service stopped.',
  usage: 'relabel [--dry-run]',
  options: { 'dry-run': { type: 'boolean', description: 'List the labels that would be negated; change nothing.' } },
  run: reportingFailures(async ({ values }) => {
    const config = loadConfig();
    const loaded = new Set((await loadAllManifests(config)).map((m) => m.label.value));
    const { db } = openDatabase(databasePath(config));
    try {
      if (values['dry-run']) {
        const rows = await new SqliteLabelStore(db).activeOutside(loaded);
        for (const row of rows) console.log(`${row.val}\t${row.uri}`);
        console.log(rows.length ? `would negate ${rows.length} label(s) of removed manifests:\n${countByValue(rows)}` : 'no labels of removed manifests');
        return 0;
      }
      const logger = stderrLogger(config.LOG_LEVEL);
      const labeler = new Labeler({ identity: await resolveIdentity(config, logger), db, dataDir: config.DATA_DIR, logger });
      try {
        const negated = await labeler.retire(loaded);
        console.log(negated.length ? `negated ${negated.length} label(s) of removed manifests:\n${countByValue(negated)}` : 'no labels of removed manifests');
      } finally {
        await labeler.close();
      }
      return 0;
    } finally {
      db.close();
    }
  }),
};
