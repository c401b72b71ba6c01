import { databasePath, loadConfig, type Config } from '../../config.ts';
import { SqliteLabelStore } from '../../label/sqlite-store.ts';
import { AppView } from '../../social/appview.ts';
import { openDatabase } from '../../store/database.ts';
import { PostStore } from '../../store/posts.ts';
import { UsageError, type Command } from '../command.ts';
import { explanationLines } from '../explanation.ts';
import { reportingFailures } from '../failure.ts';

const POST_URL = /^https:\/\/(?:www\.)?bsky\.app\/profile\/([^/]+)\/post\/([^/?#]+)\/?(?:[?#].*)?$/;

/**
 * The at-uri of the subject: as given, or from a bsky.app post URL. A handle in the URL is resolved
 * from the identity events the service recorded, else by the AppView.
 */
async function subjectUri(subject: string, posts: PostStore, config: Config): Promise<string> {
  if (subject.startsWith('at://')) return subject;
  const url = POST_URL.exec(subject);
  if (!url) throw new UsageError(`expected an at:// URI or a post URL such as https://bsky.app/profile/<handle>/post/<id>, got ${JSON.stringify(subject)}`);
  const actor = decodeURIComponent(url[1]!);
  let did = actor.startsWith('did:') ? actor : posts.didOfHandle(actor);
  if (!did) {
    try {
      did = await new AppView({ service: config.APPVIEW_URL, concurrency: 1, maxBackoffMs: 0 }).resolveDid(actor);
    } catch (error) {
      throw new Error(`cannot resolve the handle ${actor} (${(error as Error).message}): give the post's at:// URI, or the URL with the author's DID`);
    }
  }
  return `at://${did}/app.bsky.feed.post/${url[2]}`;
}

export const explain: Command = {
  name: 'explain',
  summary: 'Why a post is (or is not) labelled: its text, each label applied or negated with the manifest version and the conditions that decided it.',
  usage: 'explain <at-uri | https://bsky.app/profile/…/post/…> [--json]',
  options: { json: { type: 'boolean', description: 'Print {uri, status, text, labels} as one JSON object.' } },
  positionals: { min: 1, max: 1 },
  run: reportingFailures(async ({ positionals, values }) => {
    const config = loadConfig();
    const { db } = openDatabase(databasePath(config));
    try {
      const posts = new PostStore(db);
      const uri = await subjectUri(positionals[0]!, posts, config);
      const post = posts.get(uri);
      const rows = await new SqliteLabelStore(db).forSubject(uri);
      const status = rows.length ? 'labelled' : post ? 'evaluated, not labelled' : 'never seen';
      if (values.json) {
        console.log(JSON.stringify({ uri, status, text: post?.record.text ?? null, labels: rows.map((r) => ({ ...r, explanation: JSON.parse(r.explanation) })) }));
        return status === 'never seen' ? 1 : 0;
      }
      console.log(uri);
      if (post) console.log(`  text: ${JSON.stringify(post.record.text)}`);
      if (status === 'never seen') {
        console.error(`never seen: ${uri} is not among the posts in ${config.DATA_DIR} (never ingested, or pruned after POST_RETENTION_DAYS=${config.POST_RETENTION_DAYS})`);
        return 1;
      }
      if (status === 'evaluated, not labelled') console.log(`evaluated, not labelled: no manifest loaded when it was last seen (${post!.source.syncedAt}) matched it`);
      for (const row of rows) {
        console.log(
          `${row.val}: ${row.active ? 'applied' : 'negated'} at ${row.cts}${row.exp ? `, expires ${row.exp}` : ''} (manifest version ${row.manifestVersion})`,
        );
        for (const line of explanationLines(JSON.parse(row.explanation))) console.log(line);
      }
      return 0;
    } finally {
      db.close();
    }
  }),
};
