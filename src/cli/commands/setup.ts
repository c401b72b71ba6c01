import { Secp256k1Keypair } from '@atproto/crypto';
import { loadConfig } from '../../config.ts';
import { loginLabeler } from '../../label/account.ts';
import { fetchPlcData, labelerDidPlan, type LabelerDidChange } from '../../label/did-document.ts';
import { resolveIdentity } from '../../label/identity.ts';
import { stderrLogger } from '../../log.ts';
import type { Command } from '../command.ts';
import { reportingFailures } from '../failure.ts';

const show = (value: unknown) => (value === null ? '(none)' : JSON.stringify(value));
const describeChange = (c: LabelerDidChange) => `  ${c.field}: ${show(c.from)} → ${show(c.to)}`;

/** The PDS signs PLC operations only for full sessions; an app password gets "Bad token scope". */
function explainRefusal(error: { error?: string; message: string }): never {
  if (error.error === 'InvalidToken' && /scope/i.test(error.message)) throw new Error('the PDS refuses DID changes to an app password: set LABELER_PASSWORD to the account password for setup');
  throw new Error(`the PDS refused: ${error.message}`);
}

export const setup: Command = {
  name: 'setup',
  summary: "Add the labeler's signing key (#atproto_label) and LABELER_PUBLIC_URL (#atproto_labeler) to its DID document; the PDS emails a code for --token.",
  usage: 'setup [--token <code from the email>]',
  options: { token: { type: 'string', value: '<code>', description: 'The confirmation code the PDS emailed; without it, setup asks the PDS to send one.' } },
  run: reportingFailures(async ({ values }) => {
    const config = loadConfig();
    if (!config.LABELER_DID) throw new Error('setup publishes the production identity: set LABELER_DID and LABELER_SIGNING_KEY (or LABELER_SIGNING_KEY_FILE)');
    if (!config.LABELER_PUBLIC_URL) throw new Error('set LABELER_PUBLIC_URL to the public https URL of this labeler');
    const identity = await resolveIdentity(config, stderrLogger(config.LOG_LEVEL));
    const signingDidKey = (await Secp256k1Keypair.import(identity.signingKey)).did();
    const { changes, next } = labelerDidPlan(await fetchPlcData(config.LABELER_PLC_URL, identity.did), signingDidKey, config.LABELER_PUBLIC_URL);
    if (!changes.length) {
      console.log(`${identity.did} is already set up: #atproto_label is ${signingDidKey}, #atproto_labeler is ${config.LABELER_PUBLIC_URL}`);
      return 0;
    }
    console.log([`DID document changes for ${identity.did}:`, ...changes.map(describeChange)].join('\n'));
    const { agent } = await loginLabeler(config);
    const token = values.token as string | undefined;
    if (!token) {
      await agent.com.atproto.identity.requestPlcOperationSignature().catch(explainRefusal);
      console.log("The PDS has emailed a confirmation code to the account's address. Run again with it: skysift setup --token <CODE>");
      return 0;
    }
    const { data } = await agent.com.atproto.identity.signPlcOperation({ token, verificationMethods: next.verificationMethods, services: next.services }).catch(explainRefusal);
    await agent.com.atproto.identity.submitPlcOperation({ operation: data.operation });
    const left = labelerDidPlan(await fetchPlcData(config.LABELER_PLC_URL, identity.did), signingDidKey, config.LABELER_PUBLIC_URL).changes;
    if (left.length) throw new Error(`the PLC operation was submitted, but the directory still differs:\n${left.map(describeChange).join('\n')}`);
    console.log(`${identity.did} is set up as a labeler.`);
    return 0;
  }),
};
