import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import { CompileServices, provide, type Memberships } from '../src/core/services.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { MEMBERSHIP_WATCHER, type MembershipWatcher } from '../src/social/registry.ts';
import { setKey } from '../src/social/sets.ts';

/**
 * Ported manifests give Graze's answer. Each case comes from Graze's open-source evaluator
 * (github.com/graze-social/grazer): its tests, or the operator code where the tests mock the operator.
 * The file is named in each group. Where Graze's answer is a bug (numpy batch effects, the text "None"),
 * the case says so and checks skysift's documented answer instead.
 */

/** A post whose record is what grazer's tests put under `commit.record`. */
function graze(record: Record<string, unknown>, did = 'did:plc:author'): ConsolidatedPost {
  return {
    uri: `at://${did}/app.bsky.feed.post/1`,
    cid: 'bafy',
    author: { did },
    indexedAt: '2025-01-01T00:00:00.000Z',
    record: { createdAt: '2025-01-01T00:00:00.000Z', ...record } as ConsolidatedPost['record'],
    source: { name: 'firehose', syncedAt: '2025-01-01T00:00:00.000Z' },
  };
}

/** A watcher that registers sets as the membership service would, for operators that resolve handles and lists. */
const watcher: MembershipWatcher = { watch: (spec) => setKey(spec) };

async function verdict(filter: unknown, record: Record<string, unknown>, options: { params?: object; memberships?: Memberships } = {}) {
  const manifest = { label: { value: 'compat' }, filter, ...(options.params && { params: options.params }) };
  const { manifest: compiled, problems } = await compileManifest('compat.json', JSON.stringify(manifest), { services: new CompileServices([provide(MEMBERSHIP_WATCHER, watcher)]) });
  assert.deepEqual(problems, [], JSON.stringify(filter));
  const [result] = await evaluateBatch([graze(record)], [compiled!], new Map(), options.memberships ?? new Map());
  return result!.matched;
}

type Case = [name: string, filter: unknown, record: Record<string, unknown>, expected: boolean];

function cases(group: string, list: Case[]) {
  describe(group, () => {
    for (const [name, filter, record, expected] of list) {
      it(name, async () => assert.equal(await verdict(filter, record), expected));
    }
  });
}

/** `attribute_compare` on field `x` of a record holding `value` (undefined: the field is missing). */
const x = (value: unknown): Record<string, unknown> => (value === undefined ? {} : { x: value });
const cmp = (comparator: string, threshold: unknown) => ({ attribute_compare: ['x', comparator, threshold] });

cases('LogicEvaluator.compare (tests/app/test_logic_evaluator.py, test_compare)', [
  ['[5] == 5', cmp('==', 5), x(5), true],
  ['[5] == 4', cmp('==', 4), x(5), false],
  ['[None] == ""', cmp('==', ''), x(null), true],
  ['missing == ""', cmp('==', ''), x(undefined), true],
  ['[""] == None', cmp('==', null), x(''), true],
  ['["foo"] == None', cmp('==', null), x('foo'), false],
  ['[5] != 4', cmp('!=', 4), x(5), true],
  ['[5] != 5', cmp('!=', 5), x(5), false],
  ['[None] != ""', cmp('!=', ''), x(null), false],
  ['["x"] != None', cmp('!=', null), x('x'), true],
  ['[5] >= 5', cmp('>=', 5), x(5), true],
  ['[4] >= None', cmp('>=', null), x(4), false],
  ['[None] >= 4', cmp('>=', 4), x(null), false],
  ['[""] >= "" (an empty threshold tests for empty)', cmp('>=', ''), x(''), true],
  ['[5] <= 5', cmp('<=', 5), x(5), true],
  ['[5] <= None', cmp('<=', null), x(5), false],
  ['[None] <= 5 (missing counts as 0 against a number)', cmp('<=', 5), x(null), true],
  ['[0.2] <= "0.7" (numeric-looking threshold)', cmp('<=', '0.7'), x(0.2), true],
  ['[6] > 5', cmp('>', 5), x(6), true],
  ['[5] > 5', cmp('>', 5), x(5), false],
  ['[5] > None', cmp('>', null), x(5), false],
  ['[4] < 5', cmp('<', 5), x(4), true],
  ['[5] < None', cmp('<', null), x(5), false],
  ['[1] in [1, 2, 3]', cmp('in', [1, 2, 3]), x(1), true],
  ['[None] in ["", "x"]', cmp('in', ['', 'x']), x(null), true],
  ['[""] in ["", "x"]', cmp('in', ['', 'x']), x(''), true],
  ['["a"] in ["x", "y"]', cmp('in', ['x', 'y']), x('a'), false],
  ['[2] not_in [1, 2, 3]', cmp('not_in', [1, 2, 3]), x(2), false],
  ['["b"] not_in ["x", "y"]', cmp('not_in', ['x', 'y']), x('b'), true],
  ['[None] not_in ["", "a"]', cmp('not_in', ['', 'a']), x(null), false],
  ['[3] in [3, "", "x"]', cmp('in', [3, '', 'x']), x(3), true],
  ['[None] == None', cmp('==', null), x(null), true],
  ['["abc"] != ""', cmp('!=', ''), x('abc'), true],
  ['[None] != "" (the third of [1, 2, None])', cmp('!=', ''), x(null), false],
  // Nested lists are what a [*] path yields: == means "some element", != "no element".
  ['[["a", None]] == ""', { attribute_compare: ['x[*]', '==', ''] }, x(['a', null]), true],
  ['[["b", ""]] == ""', { attribute_compare: ['x[*]', '==', ''] }, x(['b', '']), true],
  ['[["a", None]] != ""', { attribute_compare: ['x[*]', '!=', ''] }, x(['a', null]), false],
  ['[[1, None]] == ""', { attribute_compare: ['x[*]', '==', ''] }, x([1, null]), true],
  ['[[0, ""]] != ""', { attribute_compare: ['x[*]', '!=', ''] }, x([0, '']), false],
]);

cases('_normalize_comparison_inputs (tests/app/test_logic_evaluator.py): None and "" become 0 against a number', [
  ['[None] == 0', cmp('==', 0), x(null), true],
  ['[""] == 0', cmp('==', 0), x(''), true],
  ['[None] < "0.7"', cmp('<', '0.7'), x(null), true],
  ['missing < 3.14', cmp('<', 3.14), x(undefined), true],
  ['[""] == "foo" (an empty value is "" against a string)', cmp('==', 'foo'), x(''), false],
]);

cases('resolve_path_batch (tests/app/algos/operators/test_attribute.py, app/algos/operators/attribute.py)', [
  ['langs[0]', { attribute_compare: ['langs[0]', '==', 'en'] }, { langs: ['en', 'fr'] }, true],
  ['embed.images[*].alt yields every alt', { attribute_compare: ['embed.images[*].alt', '==', 'desc2'] }, { embed: { images: [{ alt: 'desc1' }, { alt: 'desc2' }] } }, true],
  ['nested.key', { attribute_compare: ['nested.key', '==', 'value'] }, { nested: { key: 'value' } }, true],
  ['nonexistent.key is None', { attribute_compare: ['nonexistent.key', '==', null] }, { missing: '' }, true],
  [
    '"*" on an object yields its values',
    { attribute_compare: ['embed.*.uri', '==', 'https://example.com'] },
    { embed: { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com' } } },
    true,
  ],
  ['"embed.*" compares each value of the embed', { attribute_compare: ['embed.*', '==', 'app.bsky.embed.images'] }, { embed: { $type: 'app.bsky.embed.images', images: [] } }, true],
  ['[*] with no element is None', { attribute_compare: ['facets[*].features[*].uri', '==', null] }, {}, true],
  ['the text-only idiom ["embed", "==", null]', { attribute_compare: ['embed', '==', null] }, { text: 'just words' }, true],
  ['["embed", "==", null] on a post with an embed', { attribute_compare: ['embed', '==', null] }, { embed: { $type: 'app.bsky.embed.images', images: [] } }, false],
  ['["text", "==", null] means empty text', { attribute_compare: ['text', '==', null] }, { text: '' }, true],
  // Graze's numpy batch makes a list-valued path without [*] batch-dependent; skysift reads it as "any element".
  ['["langs", "in", ["en"]] on ["en", "fr"] (any element; Graze: batch-dependent)', { attribute_compare: ['langs', 'in', ['en']] }, { langs: ['en', 'fr'] }, true],
  ['["langs", "in", ["de"]] on ["en", "fr"]', { attribute_compare: ['langs', 'in', ['de']] }, { langs: ['en', 'fr'] }, false],
  ['["langs", "not_in", ["fr"]] on ["en", "fr"] (no element)', { attribute_compare: ['langs', 'not_in', ['fr']] }, { langs: ['en', 'fr'] }, false],
  ['["langs", "==", "fr"] (check_empty_string: some element)', { attribute_compare: ['langs', '==', 'fr'] }, { langs: ['en', 'fr'] }, true],
]);

const images = {
  $type: 'app.bsky.embed.images',
  images: [
    { alt: '', image: {} },
    { alt: '', image: {} },
  ],
};
const quote = { $type: 'app.bsky.embed.record', record: { uri: 'at://did:plc:x/app.bsky.feed.post/1', cid: 'c' } };
const quoteWith = (media: object) => ({ $type: 'app.bsky.embed.recordWithMedia', record: { $type: 'app.bsky.embed.record', record: quote.record }, media });
const card = (uri: string) => ({ $type: 'app.bsky.embed.external', external: { uri, title: '', description: '' } });
const linkFacet = (uri: string) => ({ facets: [{ index: { byteStart: 0, byteEnd: 1 }, features: [{ $type: 'app.bsky.richtext.facet#link', uri }] }] });

cases('embed_type (app/algos/operators/attribute.py, AttributeParser.embed_type)', [
  ['image: an images embed of two images', { embed_type: ['==', 'image'] }, { embed: images }, true],
  ['image_group: not a plain images embed', { embed_type: ['==', 'image_group'] }, { embed: images }, false],
  ['image_group: a quote with images', { embed_type: ['==', 'image_group'] }, { embed: quoteWith(images) }, true],
  ['image: a quote with images is not an image embed', { embed_type: ['==', 'image'] }, { embed: quoteWith(images) }, false],
  ['post: a plain quote', { embed_type: ['==', 'post'] }, { embed: quote }, true],
  ['post: a quote with images is not', { embed_type: ['==', 'post'] }, { embed: quoteWith(images) }, false],
  ['video: a quote with a video', { embed_type: ['==', 'video'] }, { embed: quoteWith({ $type: 'app.bsky.embed.video', video: {} }) }, true],
  ['link: a link card', { embed_type: ['==', 'link'] }, { embed: card('https://example.com/a') }, true],
  ['link: a Tenor card is a gif, not a link', { embed_type: ['==', 'link'] }, { embed: card('https://media.tenor.com/x/cat.gif') }, false],
  ['gif: a Tenor card', { embed_type: ['==', 'gif'] }, { embed: card('https://media.tenor.com/x/cat.gif?hh=1') }, true],
  ['gif: a Tenor link in the text (get_all_links reads facets)', { embed_type: ['==', 'gif'] }, linkFacet('https://www.media.tenor.com/y.gif'), true],
  ['gif: another .gif URL is a link', { embed_type: ['==', 'gif'] }, { embed: card('https://example.com/dance.gif') }, false],
  ['!= is the negation of == (Graze\'s "!= link" also excludes GIFs)', { embed_type: ['!=', 'link'] }, linkFacet('https://media.tenor.com/y.gif'), true],
]);

cases('post_type (app/algos/operators/attribute.py, AttributeParser.post_type)', [
  ['quote: a plain record embed', { post_type: ['in', ['quote']] }, { embed: quote }, true],
  ['quote: a quote with media is not a quote', { post_type: ['in', ['quote']] }, { embed: quoteWith(images) }, false],
  ['reply', { post_type: ['==', ['reply']] }, { reply: { root: quote.record, parent: quote.record } }, true],
  ['!= as not_in', { post_type: ['!=', ['reply', 'quote']] }, { text: 'top level' }, true],
]);

const text = (t: unknown) => ({ text: t });
const any = (terms: string[], asRegex = false) => ({ regex_any: ['text', terms, true, asRegex] });

cases('regex (tests/app/algos/operators/test_regex.py, app/algos/operators/regex.py)', [
  ['matches_operator: "hello" in "hello world"', { regex_matches: ['text', 'hello'] }, text('hello world'), true],
  ['matches_operator: "hello" not in "goodbye"', { regex_matches: ['text', 'hello'] }, text('goodbye'), false],
  ['negation_matches_operator', { regex_negation_matches: ['text', 'hello'] }, text('goodbye'), true],
  ['allow_operator: hello or hi', any(['hello', 'hi']), text('hello world'), true],
  ['allow_operator: neither in "goodbye"', any(['hello', 'hi']), text('goodbye'), false],
  ['domain match in a URL', any(['obsidian.md']), text('https://forum.obsidian.md/t/how-can-i-reorder-list-items/86981'), true],
  ['domain not matched in unrelated text', any(['obsidian.md']), text('This is unrelated.'), false],
  ['embedded domain does not match', any(['obsidian.md']), text('https://notobsidian.md5rocks.com'), false],
  ['word boundary: "theapple"', any(['apple']), text('theapple'), false],
  ['word boundary: "an apple a day"', any(['apple']), text('an apple a day'), true],
  ['escaped regex characters: hello.world', any(['hello.world', 'hello+world', 'hello*world']), text('hello.world'), true],
  ['escaped regex characters: hello+world', any(['hello.world', 'hello+world', 'hello*world']), text('hello+world'), true],
  ['escaped regex characters: hello*world', any(['hello.world', 'hello+world', 'hello*world']), text('hello*world'), true],
  ['escaped: "." is no wildcard', any(['hello.world']), text('helloXworld'), false],
  ['multiple domains', any(['obsidian.md', 'notion.so']), text('Visit obsidian.md or notion.so for more.'), true],
  ['multiple domains, none present', any(['obsidian.md', 'notion.so']), text('Nothing to see here.'), false],
  ['deny_operator', { regex_none: ['text', ['hello', 'hi']] }, text('goodbye'), true],
  // The lookbehind (?<![\w\-/])(?<!\.) before word-like terms.
  ['not after "/": a URL path', any(['apple']), text('see https://example.com/apple'), false],
  ['not after ".": a domain', any(['apple']), text('mail me at x.apple'), false],
  ['not after "-"', any(['apple']), text('pine-apple'), false],
  ['after a space or punctuation', any(['apple']), text('(apple) and "apple"'), true],
  ['Unicode word characters, as Python re: "caf" is not in "café"', any(['caf']), text('un café'), false],
  ['Unicode: a term between non-Latin words matches', any(['東京']), text('私は 東京 に行く'), true],
  ['case-insensitive by default', any(['APPLE']), text('an apple'), true],
  ['regex terms keep the boundaries: colou?r in "colour"', any(['colou?r'], true), text('my favourite colour'), true],
  ['regex terms keep the boundaries: not in "watercolor"', any(['colou?r'], true), text('watercolor'), false],
  ['regex terms with an alternation stay grouped (Graze splices them bare)', any(['cat|dog'], true), text('hotdog'), false],
  ['regex term with "." is domain-like: trailing boundary only', any(['c.t'], true), text('bobcat'), true],
  // get_record_texts reads a missing text as "None" (test_get_record_texts); skysift searches nothing.
  ['a missing text is not the text "None" (Graze bug)', { regex_matches: ['text', 'none'] }, {}, false],
]);

cases('entities (tests/app/algos/operators/test_entity.py, app/algos/operators/entity.py)', [
  ['get_all_urls: the card', { entity_matches: ['urls', ['https://example.com']] }, { embed: card('https://example.com'), ...linkFacet('https://test.com') }, true],
  ['get_all_urls: the facet link', { entity_matches: ['urls', ['https://test.com']] }, { embed: card('https://example.com'), ...linkFacet('https://test.com') }, true],
  ['get_all_urls: no URL on an empty record', { entity_matches: ['urls', ['https://test.com']] }, {}, false],
  ['hashtags: "#tag1" resolves to tag1', { entity_matches: ['hashtags', ['#tag1', '#tag2']] }, { tags: ['tag1'] }, true],
  ['matches_entities: tag3 is not tag1', { entity_matches: ['hashtags', ['tag1']] }, { tags: ['tag3'] }, false],
  ['excludes_entities', { entity_excludes: ['hashtags', ['tag1']] }, { tags: ['tag3'] }, true],
  ['Graze\'s optional "insensitive" argument is accepted', { entity_matches: ['hashtags', ['TAG1'], true] }, { tags: ['tag1'] }, true],
  ['domains: scheme, www. and trailing "/" are ignored', { entity_matches: ['domains', ['https://www.example.com/']] }, linkFacet('https://example.com/path'), true],
  ['labels', { entity_matches: ['labels', ['porn']] }, { labels: { values: [{ val: 'porn' }] } }, true],
]);

describe('mentions resolve handles, lists and starter packs (app/algos/operators/entity.py, get_resolved_values)', () => {
  const mention = (did: string) => ({ facets: [{ index: { byteStart: 0, byteEnd: 1 }, features: [{ $type: 'app.bsky.richtext.facet#mention', did }] }] });
  it('matches a handle through its resolved DID, a list through its members', async () => {
    const filter = { entity_matches: ['mentions', ['@user1.test', 'https://bsky.app/profile/alice.test/lists/3kabc']] };
    const memberships = new Map([
      [setKey({ type: 'accounts', actors: ['user1.test'] }), new Set(['did:plc:user1'])],
      [setKey({ type: 'list', repo: 'alice.test', rkey: '3kabc' }), new Set(['did:plc:listed'])],
    ]);
    assert.equal(await verdict(filter, mention('did:plc:user1'), { memberships }), true);
    assert.equal(await verdict(filter, mention('did:plc:listed'), { memberships }), true);
    assert.equal(await verdict(filter, mention('did:plc:other'), { memberships }), false);
  });

  it('is undecided while a set is not loaded, unless a DID already matched or the post mentions nobody', async () => {
    const filter = { entity_matches: ['mentions', ['did:plc:direct', 'user1.test']] };
    assert.equal(await verdict(filter, mention('did:plc:direct')), true);
    assert.equal(await verdict(filter, mention('did:plc:other')), null);
    assert.equal(await verdict(filter, { text: 'mentions nobody' }), false);
  });
});

describe('param_compare and $PARAM (app/algos/operators/logic.py; Graze custom-node parameters)', () => {
  // The toggle example of Graze's Custom Node API docs: Animals on → dogs and cats, off → humans.
  const filter = {
    or: [{ and: [{ param_compare: ['$ANIMALS', '==', true] }, { regex_any: ['text', ['dog', 'cat']] }] }, { and: [{ param_compare: ['$ANIMALS', '==', false] }, { regex_any: ['text', ['human']] }] }],
  };
  it('switches branches on a toggle parameter', async () => {
    assert.equal(await verdict(filter, text('a cat'), { params: { ANIMALS: true } }), true);
    assert.equal(await verdict(filter, text('a human'), { params: { ANIMALS: true } }), false);
    assert.equal(await verdict(filter, text('a human'), { params: { ANIMALS: false } }), true);
  });

  it('substitutes list, number and text parameters where they stand', async () => {
    const params = { WORDS: ['apple', 'pear'], MIN: 3, SITE: 'example' };
    assert.equal(await verdict({ regex_any: ['text', '$WORDS'] }, text('a pear'), { params }), true);
    assert.equal(await verdict({ attribute_compare: ['n', '>=', '$MIN'] }, { n: 4 }, { params }), true);
    assert.equal(await verdict({ regex_matches: ['text', '$SITE\\.com'] }, text('see example.com'), { params }), true);
  });

  it('runs each over a list parameter, any or all', async () => {
    const params = { TERMS: ['apple', 'pear'] };
    const each = (mode: string) => ({ each: { param: 'TERMS', [mode]: { regex_any: ['text', ['$TERMS']] } } });
    assert.equal(await verdict(each('any'), text('a pear'), { params }), true);
    assert.equal(await verdict(each('all'), text('a pear'), { params }), false);
    assert.equal(await verdict(each('all'), text('a pear and an apple'), { params }), true);
  });
});
