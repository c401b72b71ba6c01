import { loadConfig } from '../../config.ts';
import { formatProblems } from '../../manifests/load.ts';
import { manifestJsonSchema } from '../../manifests/json-schema.ts';
import type { Command } from '../command.ts';
import { compileManifestsOffline } from '../loaded-manifests.ts';

export const manifestsValidate: Command = {
  name: 'manifests validate',
  summary: 'Validate one manifest file or every manifest of a folder (default MANIFESTS_DIR); exit 1 listing every problem.',
  usage: 'manifests validate [manifest.json | dir]',
  positionals: { min: 0, max: 1 },
  async run({ positionals }) {
    const config = loadConfig();
    const { manifests, problems } = await compileManifestsOffline(config, positionals[0]);
    if (problems.length) {
      console.error(formatProblems(problems));
      console.error(`\n${problems.length} problem(s); ${manifests.length} manifest(s) valid.`);
      return 1;
    }
    console.log(`${manifests.length} manifest(s) valid: ${manifests.map((m) => m.label.value).join(', ')}`);
    return 0;
  },
};

export const manifestsSchema: Command = {
  name: 'manifests schema',
  summary: 'Print the JSON Schema of manifests (for editor completion).',
  usage: 'manifests schema',
  async run() {
    console.log(JSON.stringify(manifestJsonSchema(), null, 2));
    return 0;
  },
};
