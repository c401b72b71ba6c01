import { loadConfig } from '../../config.ts';
import { loginLabeler } from '../../label/account.ts';
import { DECLARATION_COLLECTION, labelerDeclaration, publishDeclaration } from '../../label/declaration.ts';
import type { Command } from '../command.ts';
import { reportingFailures } from '../failure.ts';
import { loadAllManifests } from '../loaded-manifests.ts';

export const declare: Command = {
  name: 'declare',
  summary: `Publish the labeler declaration (${DECLARATION_COLLECTION}/self: label values and definitions from the manifests, the report reasons and subjects it takes); --dry-run prints it.`,
  usage: 'declare [--dry-run]',
  options: { 'dry-run': { type: 'boolean', description: 'Print the record instead of publishing it.' } },
  run: reportingFailures(async ({ values }) => {
    const config = loadConfig();
    const declaration = labelerDeclaration(await loadAllManifests(config), config);
    if (values['dry-run']) {
      console.log(JSON.stringify(declaration, null, 2));
      return 0;
    }
    const { agent, did } = await loginLabeler(config);
    const written = await publishDeclaration(agent, did, declaration);
    const labelList = declaration.policies.labelValues.join(', ');
    console.log(written ? `declared ${did} as a labeler of: ${labelList}` : `${did} already declares these labels: ${labelList}; nothing written`);
    return 0;
  }),
};
