import { AtpAgent } from '@atproto/api';
import { readSecret, type Config } from '../config.ts';
import { describedFetch } from '../network.ts';

/**
 * Logs in to the labeler account on its PDS. When LABELER_DID is set, the account must be that DID:
 * declaring or setting up another account would publish a labeler whose labels nobody signs.
 */
export async function loginLabeler(config: Config): Promise<{ agent: AtpAgent; did: string }> {
  const password = readSecret(config, 'LABELER_PASSWORD');
  if (!config.LABELER_HANDLE || !password) throw new Error('set LABELER_HANDLE and LABELER_PASSWORD (or LABELER_PASSWORD_FILE) to log in to the labeler account');
  const agent = new AtpAgent({ service: config.LABELER_PDS_URL, fetch: describedFetch });
  await agent.login({ identifier: config.LABELER_HANDLE, password }).catch((error: Error) => {
    throw new Error(`could not log in to ${config.LABELER_PDS_URL} as ${config.LABELER_HANDLE}: ${error.message}`);
  });
  const did = agent.session!.did;
  if (config.LABELER_DID && did !== config.LABELER_DID) throw new Error(`logged in as ${did}, but LABELER_DID is ${config.LABELER_DID}`);
  return { agent, did };
}
