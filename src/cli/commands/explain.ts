import { databasePath, loadConfig } from '../../config.ts';
import { windowStart, type AggregateRule } from '../../evaluate/account.ts';
import type { TraceEntry } from '../../evaluate/compile.ts';
import { openLabelStore } from '../../label/open-store.ts';
import { activeKey, type LabelOverride, type LabelStateRow } from '../../label/store.ts';
import { stderrLogger } from '../../log.ts';
import { AccountWindowStore, type WindowCounts } from '../../store/account-windows.ts';
import { openDatabase } from '../../store/database.ts';
import { PostStore } from '../../store/posts.ts';
import type { Command } from '../command.ts';
import { explanationLines } from '../explanation.ts';
import { reportingFailures } from '../failure.ts';
import { SUBJECT_FORMS, subjectUri } from '../subject.ts';

/** A human decision on one label of the subject, in words, with what the manifests say beneath it. */
function overrideLines(o: LabelOverride): string[] {
  const lines = [
    `  overridden by hand: ${o.active ? 'applied' : 'negated'} by ${o.createdBy} at ${o.createdAt}${o.reason ? `: ${o.reason}` : ''}${o.reportId !== null ? ` (report #${o.reportId})` : ''}; manifest verdicts do not change it until \`skysift label clear\``,
  ];
  const { manifest } = o;
  lines.push(`  the manifests last said: ${manifest.active ? 'label' : 'no label'}${manifest.manifestVersion ? ` (manifest version ${manifest.manifestVersion})` : ''}`);
  if (manifest.explanation) lines.push(...explanationLines(JSON.parse(manifest.explanation), '    '));
  return lines;
}

/**
 * The account's window as it stands now, for a label decided from its posts: the decision recorded is the
 * last one that changed the label, and the counts may have moved since without changing it.
 */
function windowNow(windows: AccountWindowStore, row: LabelStateRow): (WindowCounts & { windowDays: number }) | undefined {
  const entry = (JSON.parse(row.explanation) as TraceEntry[]).find((e) => e.op === 'aggregate');
  if (!entry) return undefined;
  const { windowDays } = entry.inputs as AggregateRule;
  return { ...windows.counts({ label: row.val, did: row.uri }, windowStart(Date.now(), { windowDays })), windowDays };
}

export const explain: Command = {
  name: 'explain',
  summary: 'Why a post or account is (or is not) labelled: its text, each label applied or negated with the manifest version and the conditions that decided it, and any decision taken by hand.',
  usage: `explain ${SUBJECT_FORMS} [--json]`,
  options: { json: { type: 'boolean', description: 'Print {uri, status, text, labels, overrides} as one JSON object (each label with its override, if any).' } },
  positionals: { min: 1, max: 1 },
  run: reportingFailures(async ({ positionals, values }) => {
    const config = loadConfig();
    const { db } = openDatabase(databasePath(config));
    try {
      const posts = new PostStore(db);
      const uri = await subjectUri(positionals[0]!, posts, config);
      const post = posts.get(uri);
      const labels = await openLabelStore(config, db, stderrLogger(config.LOG_LEVEL));
      const [rows, overrides] = await Promise.all([labels.store.forSubject(uri), labels.store.overrides([uri])]).finally(() => labels.close());
      // A negation by hand of a label never applied leaves no label state, only the override.
      const undecided = [...overrides.values()].filter((o) => !rows.some((r) => r.val === o.val));
      const status = rows.length || overrides.size ? 'labelled' : post ? 'evaluated, not labelled' : 'never seen';
      const windows = new AccountWindowStore(db);
      if (values.json) {
        const labels = rows.map((r) => ({ ...r, explanation: JSON.parse(r.explanation), override: overrides.get(activeKey(uri, r.val)) ?? null, window: windowNow(windows, r) ?? null }));
        console.log(JSON.stringify({ uri, status, text: post?.record.text ?? null, labels, overrides: [...overrides.values()] }));
        return status === 'never seen' ? 1 : 0;
      }
      console.log(uri);
      if (post) console.log(`  text: ${JSON.stringify(post.record.text)}`);
      if (status === 'never seen') {
        console.error(`never seen: ${uri} is not among the posts in ${config.DATA_DIR} (never ingested, or pruned after POST_RETENTION_DAYS=${config.POST_RETENTION_DAYS})`);
        return 1;
      }
      if (status === 'evaluated, not labelled') console.log(`evaluated, not labelled: no manifest loaded when it was last seen (${post!.source.syncedAt}) matched it`);
      for (const row of rows) {
        console.log(`${row.val}: ${row.active ? 'applied' : 'negated'} at ${row.cts}${row.exp ? `, expires ${row.exp}` : ''} (manifest version ${row.manifestVersion})`);
        for (const line of explanationLines(JSON.parse(row.explanation))) console.log(line);
        const now = windowNow(windows, row);
        if (now) console.log(`  now: ${now.matched} of ${now.posts} posts seen in the last ${now.windowDays} days match`);
        const override = overrides.get(activeKey(uri, row.val));
        if (override) for (const line of overrideLines(override)) console.log(line);
      }
      for (const override of undecided) {
        console.log(`${override.val}: never applied`);
        for (const line of overrideLines(override)) console.log(line);
      }
      return 0;
    } finally {
      db.close();
    }
  }),
};
