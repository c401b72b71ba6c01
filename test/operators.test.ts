import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import { operators } from '../src/operators/index.ts';
import { isPending, isUndecided } from '../src/core/operator.ts';
import { CompileServices } from '../src/core/services.ts';
import { feedPost, withRecord } from './support/feed-posts.ts';

const noContext = { feature: () => undefined, membership: () => undefined };

async function leaf(op: string, args: unknown[]): Promise<(post: ConsolidatedPost) => boolean> {
  const definition = operators.get(op);
  assert.ok(definition, `operator ${op} is registered`);
  const compiled = await definition.compile(definition.args.parse(args), { models: new Map(), services: new CompileServices(), manifestFile: 'test.json' });
  return (post) => {
    const result = compiled(post, noContext);
    assert.ok(!isPending(result) && !isUndecided(result));
    return result.matched;
  };
}

const A = 'author-feed-7axcqwj4roha6mqpdhpdwczx.json';
const L = 'author-feed-l3rouwludahu3ui3bt66mfvj.json';
const imageOne = feedPost(A, 0);
const reply = feedPost(A, 1);
const imageTwo = feedPost(A, 4);
const external = feedPost(A, 6); // links to dsmw.cs.princeton.edu in a facet and a card
const quote = feedPost(A, 7);
const hashtag = feedPost(A, 8); // "#whamageddon"
const mention = feedPost(A, 43);
const quoteWithLink = feedPost(L, 22);
const quoteWithImages = feedPost(L, 36);
const video = withRecord(imageOne, { embed: { $type: 'app.bsky.embed.video', video: { ref: 'x', mimeType: 'video/mp4' } } });
const quoteWithVideo = withRecord(imageOne, {
  embed: {
    $type: 'app.bsky.embed.recordWithMedia',
    record: { $type: 'app.bsky.embed.record', record: { uri: 'at://did:plc:x/app.bsky.feed.post/1', cid: 'c' } },
    media: { $type: 'app.bsky.embed.video', video: {} },
  },
});
const gif = withRecord(imageOne, { embed: { $type: 'app.bsky.embed.external', external: { uri: 'https://media.tenor.com/abc/cat.gif?x=1', title: '', description: '' } } });
const selfLabelled = withRecord(imageOne, { labels: { $type: 'com.atproto.label.defs#selfLabels', values: [{ val: 'Porn' }] }, tags: ['Caturday'] });
const text = (t: string) => withRecord(imageOne, { text: t });

type Case = [name: string, op: string, args: unknown[], post: ConsolidatedPost, expected: boolean];

const cases: Case[] = [
  // attribute_compare and the one comparison function
  ['== on text', 'attribute_compare', ['text', '==', '#whamageddon'], hashtag, true],
  ['{"var"} path', 'attribute_compare', [{ var: 'text' }, '==', '#whamageddon'], hashtag, true],
  ['missing value is null', 'attribute_compare', ['embed.external.uri', '==', null], hashtag, true],
  ['missing value is not > anything', 'attribute_compare', ['embed.images[0].aspectRatio.width', '>', 0], hashtag, false],
  ['!= null on present value', 'attribute_compare', ['langs[0]', '!=', null], hashtag, true],
  ['numeric-looking threshold compares numerically', 'attribute_compare', ['facets.0.index.byteEnd', '>=', '12'], hashtag, true],
  ['numeric threshold, string value', 'attribute_compare', ['facets[0].index.byteEnd', '<', 100], hashtag, true],
  ['in list', 'attribute_compare', ['langs[0]', 'in', ['de', 'en']], hashtag, true],
  ['is_not_in alias', 'attribute_compare', ['langs[0]', 'is_not_in', ['de', 'en']], hashtag, false],
  ['[*] any element', 'attribute_compare', ['facets[*].features[*].uri', '==', 'https://github.com/mozzius/graysky'], mention, true],
  ['[*] != means no element', 'attribute_compare', ['facets[*].features[*].uri', '!=', 'https://github.com/mozzius/graysky'], mention, false],
  ['[*] != with no equal element', 'attribute_compare', ['facets[*].features[*].uri', '!=', 'https://example.com'], mention, true],
  ['[*] over a missing list is empty', 'attribute_compare', ['facets[*].features[*].uri', '==', 'x'], imageOne, false],
  ['envelope path author.did', 'attribute_compare', ['author.did', '==', hashtag.author.did], hashtag, true],
  ['string ordering on dates', 'attribute_compare', ['createdAt', '<', '2024-01-01'], hashtag, true],
  // regexes
  ['regex case-insensitive by default', 'regex_matches', ['text', 'WHAM'], hashtag, true],
  ['regex case-sensitive when asked', 'regex_matches', ['text', 'WHAM', false], hashtag, false],
  ['regex over [*]', 'regex_matches', ['facets[*].features[*].uri', 'graysky$'], mention, true],
  ['regex on a missing value', 'regex_matches', ['embed.external.uri', '.'], hashtag, false],
  ['regex_negation_matches', 'regex_negation_matches', ['text', 'wham'], hashtag, false],
  ['regex_negation_matches on missing', 'regex_negation_matches', ['embed.external.uri', '.'], hashtag, true],
  // regex_any word and domain rules
  ['word term', 'regex_any', ['text', ['apple']], text('I ate an apple today'), true],
  ['word term not inside a word', 'regex_any', ['text', ['apple']], text('theapple'), false],
  ['word term not in apple-pie', 'regex_any', ['text', ['apple']], text('apple-pie recipes'), false],
  ['word term at end with punctuation', 'regex_any', ['text', ['apple']], text('an apple.'), true],
  ['literal terms are escaped', 'regex_any', ['text', ['c++']], text('I write c++ daily'), true],
  ['domain term', 'regex_any', ['text', ['princeton.edu']], external, true],
  ['domain term not followed by a word', 'regex_any', ['text', ['cs.princeton.ed']], external, false],
  ['asRegex terms', 'regex_any', ['text', ['wham+ageddon'], true, true], hashtag, true],
  ['asRegex terms keep the trailing boundary', 'regex_any', ['text', ['w.am+'], true, true], hashtag, false],
  ['regex_none', 'regex_none', ['text', ['apple', 'pear']], text('only pears'), true],
  ['regex_none with a match', 'regex_none', ['text', ['apple', 'pear']], text('one pear'), false],
  // entities
  ['hashtag from facet, case-insensitive', 'entity_matches', ['hashtags', ['#WHAMAGEDDON']], hashtag, true],
  ['hashtag from record tags', 'entity_matches', ['hashtags', ['caturday']], selfLabelled, true],
  ['langs', 'entity_matches', ['langs', ['EN']], hashtag, true],
  ['domains ignore scheme, www and slash', 'entity_matches', ['domains', ['https://www.dsmw.cs.princeton.edu/']], external, true],
  ['domains are exact hosts', 'entity_matches', ['domains', ['princeton.edu']], external, false],
  ['urls', 'entity_matches', ['urls', ['https://github.com/mozzius/graysky']], mention, true],
  ['mentions by DID', 'entity_matches', ['mentions', ['did:plc:sq6aa2wa32tiiqrbub64vcja']], mention, true],
  ['self-labels', 'entity_matches', ['labels', ['porn']], selfLabelled, true],
  ['entity_excludes', 'entity_excludes', ['langs', ['de']], hashtag, true],
  ['entity_excludes with a match', 'entity_excludes', ['hashtags', ['whamageddon']], hashtag, false],
  // embed kinds, with Graze's meanings (grazer app/algos/operators/attribute.py, embed_type)
  ['one image', 'embed_type', ['==', 'image'], imageOne, true],
  ['two images are an image embed too', 'embed_type', ['==', 'image'], imageTwo, true],
  ['two images are not an image_group (a quote with images)', 'embed_type', ['==', 'image_group'], imageTwo, false],
  ['video', 'embed_type', ['==', 'video'], video, true],
  ['external is a link', 'embed_type', ['==', 'link'], external, true],
  ['tenor is a gif', 'embed_type', ['==', 'gif'], gif, true],
  ['record is a post', 'embed_type', ['==', 'post'], quote, true],
  ['recordWithMedia images: not a plain post', 'embed_type', ['==', 'post'], quoteWithImages, false],
  ['recordWithMedia images: image_group', 'embed_type', ['==', 'image_group'], quoteWithImages, true],
  ['recordWithMedia external: not a link (Graze reads the top-level embed)', 'embed_type', ['==', 'link'], quoteWithLink, false],
  ['recordWithMedia video: video', 'embed_type', ['==', 'video'], quoteWithVideo, true],
  ['!= on a post without embed', 'embed_type', ['!=', 'image'], hashtag, true],
  // post types
  ['reply', 'post_type', ['in', ['reply']], reply, true],
  ['not a reply', 'post_type', ['in', ['reply']], hashtag, false],
  ['quote', 'post_type', ['in', ['quote']], quote, true],
  ['quote with media is not a quote (Graze)', 'post_type', ['is_in', ['quote']], quoteWithVideo, false],
  ['not_in', 'post_type', ['not_in', ['reply', 'quote']], imageOne, true],
];

describe('rule operators', () => {
  for (const [name, op, args, post, expected] of cases) {
    it(`${op}: ${name}`, async () => {
      assert.equal((await leaf(op, args))(post), expected);
    });
  }

  it('rejects unknown comparators and a non-list for in', async () => {
    const parsed = operators.get('attribute_compare')!.args.safeParse(['text', '=~', 'x']);
    assert.match(parsed.error?.issues[0]?.message ?? '', /unknown comparator "=~"/);
    await assert.rejects(leaf('attribute_compare', ['text', 'in', 'x']), /needs a list/);
  });

  it('rejects wrong arity', () => {
    for (const [op, args] of [
      ['attribute_compare', ['text', '==']],
      ['attribute_compare', ['text', '==', 'a', 'b']],
      ['embed_type', ['==']],
      ['regex_any', ['text']],
    ] as const) {
      assert.equal(operators.get(op)!.args.safeParse(args).success, false, `${op} ${JSON.stringify(args)}`);
    }
  });

  it('rejects a pattern the linear-time engine cannot run, with its message', async () => {
    await assert.rejects(leaf('regex_matches', ['text', '(a)\\1']), /backreferences \(\\1, \\2, …\) are not supported by RE2/);
    await assert.rejects(leaf('regex_matches', ['text', 'a)']), /^Error: regex "a\)" cannot be compiled by the linear-time engine \(RE2\): unexpected \): `a\)`$/);
  });

  it('does not stall on a catastrophic pattern over 100 KB', async () => {
    const test = await leaf('regex_matches', ['text', '(a+)+$']);
    const started = performance.now();
    assert.equal(test(text(`${'a'.repeat(100_000)}!`)), false);
    assert.ok(performance.now() - started < 1000, 'finished well under a second');
  });
});
