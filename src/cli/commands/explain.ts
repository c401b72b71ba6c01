import { databasePath, loadConfig } from '../../config.ts';
import type { TraceEntry } from '../../evaluate/compile.ts';
import { LabelState } from '../../label/state.ts';
import { openDatabase } from '../../store/database.ts';
import type { Command } from '../command.ts';

function describeLeaf(entry: TraceEntry): string {
  const details = [entry.score !== undefined ? `score ${entry.score}` : '', entry.inputs !== undefined ? `saw ${JSON.stringify(entry.inputs)}` : ''].filter(Boolean).join(', ');
  return `    ${entry.path}: ${entry.result}${details ? ` (${details})` : ''}`;
}

export const explain: Command = {
  name: 'explain',
  summary: 'Print the labels on a subject (an at:// URI) with their manifest version, time and why.',
  usage: 'explain <at-uri> [--json]',
  options: { json: { type: 'boolean', description: 'Print the label decisions as one JSON array.' } },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values }) {
    const uri = positionals[0]!;
    const { db } = openDatabase(databasePath(loadConfig()));
    try {
      const rows = new LabelState(db).forSubject(uri);
      if (values.json) {
        console.log(JSON.stringify(rows.map((r) => ({ ...r, explanation: JSON.parse(r.explanation) }))));
        return rows.length ? 0 : 1;
      }
      if (!rows.length) {
        console.error(`no label decisions for ${uri}`);
        return 1;
      }
      for (const row of rows) {
        console.log(
          `${row.val}: ${row.active ? 'applied' : 'negated'} at ${row.cts}${row.exp ? `, expires ${row.exp}` : ''} (manifest version ${row.manifestVersion}${row.emitted ? '' : ', not yet emitted'})`,
        );
        for (const entry of JSON.parse(row.explanation) as TraceEntry[]) console.log(describeLeaf(entry));
      }
      return 0;
    } finally {
      db.close();
    }
  },
};
