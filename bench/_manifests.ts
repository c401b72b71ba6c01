/** Rule-only manifests for the benches (test/support/rule-manifests.ts generates them), compiled. */
import { compileManifest, type CompiledManifest } from '../src/manifests/load.ts';
import { ruleManifests } from '../test/support/rule-manifests.ts';

export { ruleManifests };

export async function compiledRuleManifests(count = 20): Promise<CompiledManifest[]> {
  return Promise.all(
    ruleManifests(count).map(async (m, i) => {
      const { manifest, problems } = await compileManifest(`bench-${i}.json`, JSON.stringify(m));
      if (!manifest) throw new Error(`generated manifest ${m.label.value} does not compile: ${JSON.stringify(problems)}`);
      return manifest;
    }),
  );
}
