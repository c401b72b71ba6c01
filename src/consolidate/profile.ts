import { z } from 'zod';
import type { ConsolidatedPost } from './post.ts';

export const PROFILE_COLLECTION = 'app.bsky.actor.profile';

/** `app.bsky.actor.profile/self` as its owner published it; only the fields account manifests read are checked. */
export const ProfileRecordSchema = z.looseObject({
  displayName: z.string().optional(),
  description: z.string().optional(),
  createdAt: z.string().optional(),
});

export type ProfileRecord = z.infer<typeof ProfileRecordSchema>;

/**
 * What an account manifest's filter reads: the profile in the shape manifests address posts with, so the
 * same paths and operators apply. `uri` is the account's DID (the subject of its labels); the record has
 * `displayName`, `description` (empty when unset) and `text`, the two joined by a newline, for the text
 * operators (regex_*, political, toxicity_analysis, llm_classification, text_similarity). A deleted
 * profile is an empty one.
 */
export type ConsolidatedProfile = ConsolidatedPost & { record: { displayName: string; description: string } };

export function profileDocument(did: string, cid: string, record: ProfileRecord, at: string): ConsolidatedProfile {
  const displayName = record.displayName ?? '';
  const description = record.description ?? '';
  return {
    uri: did,
    cid,
    author: { did },
    indexedAt: at,
    record: { ...record, displayName, description, text: [displayName, description].filter(Boolean).join('\n'), createdAt: record.createdAt ?? at },
    source: { name: 'firehose', syncedAt: at },
  };
}
