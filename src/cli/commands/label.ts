import { loadConfig } from '../../config.ts';
import type { LabelStateRow } from '../../label/store.ts';
import { PostStore } from '../../store/posts.ts';
import { CliError, type Command } from '../command.ts';
import { reportingFailures } from '../failure.ts';
import { BY_OPTION, decidedBy, withLabeler } from '../labeler-session.ts';
import { loadAllManifests } from '../loaded-manifests.ts';
import { SUBJECT_FORMS, subjectUri } from '../subject.ts';

const changeLine = (row: LabelStateRow) => `${row.active ? 'labelled' : 'negated'} ${row.val} on ${row.uri}`;

/** `label add` and `label negate`: a decision by hand that later manifest verdicts do not undo. */
function decide(active: boolean): Command {
  const verb = active ? 'add' : 'negate';
  return {
    name: `label ${verb}`,
    summary: active
      ? 'Apply a label by hand to a post or an account (signed and served like any label); later manifest verdicts do not lift it until `label clear`.'
      : 'Negate a label by hand (a false positive); later manifest verdicts do not apply it again until `label clear`.',
    usage: `label ${verb} ${SUBJECT_FORMS} <label value> [--reason <text>] [--by <name>]`,
    options: { reason: { type: 'string', value: '<text>', description: 'Why, recorded with the decision and shown by `skysift explain`.' }, by: BY_OPTION },
    positionals: { min: 2, max: 2 },
    run: reportingFailures(async ({ positionals, values }) => {
      const config = loadConfig();
      const val = positionals[1]!;
      if (active) {
        const declared = (await loadAllManifests(config)).map((m) => m.label.value);
        if (!declared.includes(val))
          throw new CliError(`${val} is not the label of a manifest in ${config.MANIFESTS_DIR} (${declared.join(', ') || 'none'}): the app shows only declared labels; add a manifest for it first`);
      }
      return withLabeler(config, async (labeler, db) => {
        const posts = new PostStore(db);
        const uri = await subjectUri(positionals[0]!, posts, config);
        const cid = active && uri.startsWith('at://') ? posts.get(uri)?.cid : undefined;
        const row = await labeler.override({ uri, val, active, ...(cid ? { cid } : {}), by: decidedBy(values.by), ...(typeof values.reason === 'string' ? { reason: values.reason } : {}) });
        console.log(row ? changeLine(row) : `${val} on ${uri} is already ${active ? 'applied' : 'not applied'}; the decision is recorded and holds against manifest verdicts`);
        return 0;
      });
    }),
  };
}

export const labelAdd = decide(true);
export const labelNegate = decide(false);

export const labelClear: Command = {
  name: 'label clear',
  summary: 'Remove a decision taken by hand: the label becomes what the manifests last decided for the subject (applied or negated now if that differs).',
  usage: `label clear ${SUBJECT_FORMS} <label value>`,
  positionals: { min: 2, max: 2 },
  run: reportingFailures(async ({ positionals }) => {
    const config = loadConfig();
    const val = positionals[1]!;
    return withLabeler(config, async (labeler, db) => {
      const uri = await subjectUri(positionals[0]!, new PostStore(db), config);
      const { override, changed } = await labeler.clearOverride({ uri, val });
      if (!override) throw new CliError(`no decision by hand on ${val} for ${uri}: nothing to clear (see skysift explain)`);
      console.log(`cleared the decision of ${override.createdBy} on ${val} for ${uri}; ${changed ? changeLine(changed) : 'the manifests agree with it, no label changed'}`);
      return 0;
    });
  }),
};
