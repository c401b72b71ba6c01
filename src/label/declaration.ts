import { AppBskyLabelerService, type AtpAgent } from '@atproto/api';
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config.ts';
import { labelValueDefinitions } from '../manifests/label.ts';
import type { CompiledManifest } from '../manifests/load.ts';

export const DECLARATION_COLLECTION = 'app.bsky.labeler.service';
export const DECLARATION_RKEY = 'self';

export type Declaration = AppBskyLabelerService.Record;

/** What reports the labeler takes (LABELER_REASON_TYPES, LABELER_SUBJECT_TYPES, LABELER_SUBJECT_COLLECTIONS). */
export type ReportPolicy = Pick<Config, 'LABELER_REASON_TYPES' | 'LABELER_SUBJECT_TYPES' | 'LABELER_SUBJECT_COLLECTIONS'>;

/**
 * The `app.bsky.labeler.service/self` record for the loaded manifests' labels and the reports the labeler
 * takes, checked against its lexicon. Without `reasonTypes` a client would offer every reason, and the
 * labeler would be sent reports it has no way to act on. A loaded account manifest adds `account` to
 * `subjectTypes`: the labeler labels accounts, so reports and appeals on them must reach it.
 */
export function labelerDeclaration(manifests: readonly Pick<CompiledManifest, 'label' | 'subject'>[], policy: ReportPolicy, createdAt = new Date().toISOString()): Declaration {
  const labels = manifests.map((m) => m.label);
  const record = {
    $type: DECLARATION_COLLECTION,
    policies: { labelValues: labels.map((l) => l.value), labelValueDefinitions: labelValueDefinitions(labels) },
    reasonTypes: policy.LABELER_REASON_TYPES,
    subjectTypes: declaredSubjectTypes(manifests, policy),
    subjectCollections: policy.LABELER_SUBJECT_COLLECTIONS,
    createdAt,
  };
  const checked = AppBskyLabelerService.validateRecord(record);
  if (!checked.success) throw new Error(`the labeler declaration does not match the ${DECLARATION_COLLECTION} lexicon: ${checked.error.message}`);
  return checked.value;
}

/** The subjects reports may be about: LABELER_SUBJECT_TYPES, with `account` while an account manifest is loaded (its labels can be appealed). */
export function declaredSubjectTypes(manifests: readonly Pick<CompiledManifest, 'subject'>[], policy: Pick<ReportPolicy, 'LABELER_SUBJECT_TYPES'>): ReportPolicy['LABELER_SUBJECT_TYPES'] {
  const labelsAccounts = manifests.some((m) => m.subject.kind !== 'post');
  return labelsAccounts && !policy.LABELER_SUBJECT_TYPES.includes('account') ? ['account', ...policy.LABELER_SUBJECT_TYPES] : policy.LABELER_SUBJECT_TYPES;
}

/** The declaration without its `createdAt`: what a republish compares. */
const content = ({ createdAt: _, ...rest }: Declaration) => rest;

/**
 * Writes the declaration to the account's repository, unless the stored one already says the same
 * (then its `createdAt` is kept and nothing is written). Returns whether it wrote.
 */
export async function publishDeclaration(agent: AtpAgent, did: string, declaration: Declaration): Promise<boolean> {
  const current = await agent.com.atproto.repo.getRecord({ repo: did, collection: DECLARATION_COLLECTION, rkey: DECLARATION_RKEY }).catch((error: { error?: string }) => {
    if (error.error === 'RecordNotFound') return undefined;
    throw error;
  });
  if (current && isDeepStrictEqual(content(current.data.value as Declaration), content(declaration))) return false;
  await agent.com.atproto.repo.putRecord({ repo: did, collection: DECLARATION_COLLECTION, rkey: DECLARATION_RKEY, record: declaration, validate: true });
  return true;
}
