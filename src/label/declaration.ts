import { AppBskyLabelerService, type AtpAgent } from '@atproto/api';
import { isDeepStrictEqual } from 'node:util';
import { labelValueDefinitions, type Label } from '../manifests/label.ts';

export const DECLARATION_COLLECTION = 'app.bsky.labeler.service';
export const DECLARATION_RKEY = 'self';

export type Declaration = AppBskyLabelerService.Record;

/** The `app.bsky.labeler.service/self` record for the loaded labels, checked against its lexicon. */
export function labelerDeclaration(labels: readonly Label[], createdAt = new Date().toISOString()): Declaration {
  const record = {
    $type: DECLARATION_COLLECTION,
    policies: { labelValues: labels.map((l) => l.value), labelValueDefinitions: labelValueDefinitions(labels) },
    createdAt,
  } as const;
  const checked = AppBskyLabelerService.validateRecord(record);
  if (!checked.success) throw new Error(`the labeler declaration does not match the ${DECLARATION_COLLECTION} lexicon: ${checked.error.message}`);
  return checked.value;
}

/**
 * Writes the declaration to the account's repository, unless the stored one already has the same
 * policies (then its `createdAt` is kept and nothing is written). Returns whether it wrote.
 */
export async function publishDeclaration(agent: AtpAgent, did: string, declaration: Declaration): Promise<boolean> {
  const current = await agent.com.atproto.repo.getRecord({ repo: did, collection: DECLARATION_COLLECTION, rkey: DECLARATION_RKEY }).catch((error: { error?: string }) => {
    if (error.error === 'RecordNotFound') return undefined;
    throw error;
  });
  if (current && isDeepStrictEqual((current.data.value as Declaration).policies, declaration.policies)) return false;
  await agent.com.atproto.repo.putRecord({ repo: did, collection: DECLARATION_COLLECTION, rkey: DECLARATION_RKEY, record: declaration, validate: true });
  return true;
}
