import { z } from 'zod';

/** A membership set a manifest refers to; the key names it in snapshots, the cache and logs. */
export type SetSpec = { type: 'follows' | 'followers'; actor: string } | { type: 'list' | 'starterpack'; repo: string; rkey: string } | { type: 'accounts'; actors: string[] };

const COLLECTIONS = { list: 'app.bsky.graph.list', starterpack: 'app.bsky.graph.starterpack' } as const;

export function setKey(spec: SetSpec): string {
  switch (spec.type) {
    case 'follows':
    case 'followers':
      return `${spec.type}:${spec.actor}`;
    case 'list':
    case 'starterpack':
      return `${spec.type}:${recordUri(spec.repo, spec.type, spec.rkey)}`;
    case 'accounts':
      return `accounts:${[...new Set(spec.actors)].sort().join(',')}`;
  }
}

/** The members of a set the manifest itself spells out (a list of DIDs), which need no network; else undefined. */
export function knownMembers(spec: SetSpec): string[] | undefined {
  return spec.type === 'accounts' && spec.actors.every((actor) => actor.startsWith('did:')) ? [...new Set(spec.actors)] : undefined;
}

export function recordUri(repo: string, type: 'list' | 'starterpack', rkey: string): string {
  return `at://${repo}/${COLLECTIONS[type]}/${rkey}`;
}

/** A DID or a handle, normalised (handles are case-insensitive; a leading @ is tolerated). */
export const ActorSchema = z
  .string()
  .trim()
  .transform((s) => (s.startsWith('did:') ? s : s.replace(/^@/, '').toLowerCase()))
  .refine((s) => /^did:[a-z]+:[a-zA-Z0-9._:%-]+$/.test(s) || /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]([a-z0-9-]*[a-z0-9])?$/.test(s), {
    message: 'expected a DID or a handle',
  });

const URL_PATTERNS = {
  list: /^https:\/\/(?:www\.)?bsky\.app\/profile\/([^/]+)\/lists\/([^/?#]+)\/?(?:[?#].*)?$/,
  starterpack: /^https:\/\/(?:www\.)?bsky\.app\/(?:starter-pack|start)\/([^/]+)\/([^/?#]+)\/?(?:[?#].*)?$/,
};

/** A bsky.app URL or an at-uri of a list or starter-pack record, as `{repo, rkey}`. */
export function recordRefSchema(type: 'list' | 'starterpack') {
  const name = type === 'list' ? 'list' : 'starter pack';
  const example = type === 'list' ? 'https://bsky.app/profile/<handle>/lists/<id>' : 'https://bsky.app/starter-pack/<handle>/<id>';
  return z.string().transform((ref, ctx) => {
    const match = URL_PATTERNS[type].exec(ref.trim()) ?? new RegExp(`^at://([^/]+)/${COLLECTIONS[type].replaceAll('.', '\\.')}/([^/?#]+)$`).exec(ref.trim());
    const repo = match && ActorSchema.safeParse(decodeURIComponent(match[1]!));
    if (!match || !repo?.success) {
      ctx.addIssue({ code: 'custom', message: `expected a ${name} as ${example} or at://<did>/${COLLECTIONS[type]}/<id>, got ${JSON.stringify(ref)}` });
      return z.NEVER;
    }
    return { repo: repo.data, rkey: match[2]! };
  });
}
