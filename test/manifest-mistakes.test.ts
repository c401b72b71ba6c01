import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompileServices, provide } from '../src/core/services.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { MEMBERSHIP_WATCHER } from '../src/social/registry.ts';

/**
 * Easy mistakes a new user made that used to load without a word: each is now rejected, at its JSON
 * path, with a message that says what to write instead. The messages are pinned here.
 */
async function problems(manifest: object): Promise<[string, string][]> {
  const result = await compileManifest('m.json', JSON.stringify(manifest));
  return result.problems.map((p) => [p.path, p.message]);
}

const label = { value: 'x' };
const ok = { regex_any: ['text', ['apple']] };

describe('mistakes that must not load silently', () => {
  it('unknown keys, with "did you mean" or what to write instead', async () => {
    assert.deepEqual(await problems({ label: { value: 'x', severty: 'alert' }, filter: ok }), [['label', 'unknown key "severty" (did you mean "severity"?)']]);
    assert.deepEqual(await problems({ label: { value: 'x', description: 'Posts about apples.' }, filter: ok }), [
      ['label', 'unknown key "description": a label\'s name and description go in "locales": [{"lang": "en", "name": "...", "description": "..."}]'],
    ]);
    assert.deepEqual(await problems({ label, filter: ok, comment: 'apples only' }), [
      ['(manifest)', 'unknown key "comment": JSON has no comments: put notes in a filter node\'s "metadata", e.g. {"regex_any": [...], "metadata": {"note": "..."}}'],
    ]);
    assert.deepEqual(await problems({ label: { value: 'x', locales: [{ lang: 'en', name: 'X', descripton: 'y' }] }, filter: ok }), [
      ['label.locales[0].description', 'missing "description" (expected string)'],
      ['label.locales[0]', 'unknown key "descripton" (did you mean "description"?)'],
    ]);
    assert.deepEqual(await problems({ $schema: '../docs/manifest.schema.json', label, filter: ok }), [], '$schema is allowed');
  });

  it('a JSONPath-style "$.text"', async () => {
    assert.deepEqual(await problems({ label, filter: { regex_matches: ['$.text', 'apple'] } }), [
      ['filter.regex_matches[0]', '"$.text" is JSONPath: paths start at the post record without "$.", write "text"'],
    ]);
    assert.deepEqual(await problems({ label, filter: { attribute_compare: [{ var: '$.embed.$type' }, '==', 'x'] } }), [
      ['filter.attribute_compare[0]', '"$.embed.$type" is JSONPath: paths start at the post record without "$.", write "embed.$type"'],
    ]);
  });

  it('an ordering comparator with a list threshold, in/not_in without one, an object threshold', async () => {
    assert.deepEqual(await problems({ label, filter: { attribute_compare: ['metrics.likes', '>=', [10, 20]] } }), [
      ['filter.attribute_compare', '>= compares with one value, not a list: for "any of these" use in (or not_in for "none of these")'],
    ]);
    assert.deepEqual(await problems({ label, filter: { attribute_compare: ['langs[0]', 'in', 'en'] } }), [
      ['filter.attribute_compare', 'in needs a list of values, e.g. ["a", "b"]; to compare with one value use =='],
    ]);
    assert.deepEqual(await problems({ label, filter: { attribute_compare: ['text', '==', { var: 'x' }] } }), [
      ['filter.attribute_compare[2]', 'expected a string, number, boolean, null or a list of them, got an object'],
    ]);
  });

  it('comparators are listed with their is_in/is_not_in aliases', async () => {
    assert.deepEqual(await problems({ label, filter: { attribute_compare: ['text', '=~', 'x'] } }), [
      ['filter.attribute_compare[1]', 'unknown comparator "=~": use one of == != > >= < <= in not_in (or is_in, is_not_in)'],
    ]);
  });

  it('not given a list', async () => {
    assert.deepEqual(await problems({ label, filter: { not: [ok, ok] } }), [
      ['filter.not', 'not takes one condition, not a list: write {"not": {"or": [...]}} for "none of them" or {"not": {"and": [...]}} for "not all of them"'],
    ]);
  });

  it('lookaround says RE2 does not support it; a bad regex is quoted as written, without the (?i) of the flag', async () => {
    assert.deepEqual(await problems({ label, filter: { regex_matches: ['text', '(?<!not )good'] } }), [
      [
        'filter.regex_matches',
        'regex "(?<!not )good": lookbehind ((?<= and (?<!) is not supported by RE2, the linear-time engine: match the preceding text instead, or use regex_any, which keeps terms off word, "/" and "." boundaries',
      ],
    ]);
    assert.deepEqual(await problems({ label, filter: { regex_matches: ['text', 'good(?= news)'] } }), [
      ['filter.regex_matches', 'regex "good(?= news)": lookahead ((?= and (?!) is not supported by RE2, the linear-time engine: match the following text instead, or split the condition with and/not'],
    ]);
    assert.deepEqual(await problems({ label, filter: { regex_matches: ['text', '(good'] } }), [
      ['filter.regex_matches', 'regex "(good" cannot be compiled by the linear-time engine (RE2): missing closing ): `(good`'],
    ]);
  });

  it('mentions that are neither a DID, a handle nor a list or starter-pack URL', async () => {
    const result = await compileManifest('m.json', JSON.stringify({ label, filter: { entity_matches: ['mentions', ['not a handle!']] } }), { services: new CompileServices([provide(MEMBERSHIP_WATCHER, { watch: () => 'k' })]) });
    assert.deepEqual(
      result.problems.map((p) => [p.path, p.message]),
      [['filter.entity_matches', 'mention "not a handle!" is not a DID, a handle, nor a bsky.app list or starter-pack URL']],
    );
  });

  it('parameters: an undeclared $NAME, each over a missing or scalar parameter, a list inside a string', async () => {
    assert.deepEqual(await problems({ label, params: { WORDS: ['a'] }, filter: { regex_any: ['text', '$WORD'] } }), [
      ['filter.regex_any[1]', 'unknown parameter $WORD: declare it in the manifest\'s "params" (did you mean "WORDS"?)'],
    ]);
    assert.deepEqual(await problems({ label, params: { N: 3 }, filter: { each: { param: 'N', any: ok } } }), [['filter.each.param', 'parameter N must be a non-empty list for each']]);
    assert.deepEqual(await problems({ label, filter: { each: { param: 'LISTS', every: ok } } }), [
      ['filter.each', 'each takes {"param": "NAME", "any": <condition>} (or "all" instead of "any"); unknown key "every"'],
    ]);
    assert.deepEqual(await problems({ label, params: { WORDS: ['a', 'b'] }, filter: { regex_matches: ['text', 'x$WORDS'] } }), [
      ['filter.regex_matches[1]', 'list parameter $WORDS can only stand alone ("$WORDS"), not inside a string'],
    ]);
    assert.deepEqual(await problems({ label, filter: { attribute_compare: ['embed.$type', '==', 'app.bsky.embed.images'] } }), [], '$type is no parameter');
  });

  it('a problem inside each is reported once, at its place in the file', async () => {
    assert.deepEqual(await problems({ label, params: { T: ['a', 'b', 'c'] }, filter: { each: { param: 'T', all: { regex_any: ['text', ['$T'], 'yes'] } } } }), [
      ['filter.each.all.regex_any[2]', 'expected boolean, received string'],
    ]);
  });
  it('an account manifest that contradicts itself: an aggregate on posts, a post-only operator on a profile, a bad window', async () => {
    assert.deepEqual(await problems({ label, aggregate: { minPosts: 3, share: 0.5, windowDays: 7 }, filter: ok }), [
      ['aggregate', 'an aggregate labels the account from its posts: add "subject": "account" (or remove "aggregate" to label posts)'],
    ]);
    const [[path, message]] = (await problems({ label, subject: 'account', filter: { and: [ok, { embed_type: ['==', 'image'] }] } })) as [[string, string]];
    assert.equal(path, 'filter.and[1].embed_type');
    assert.match(message, /^embed_type reads posts, but this manifest labels accounts from their profile \("subject": "account" without "aggregate"\); on a profile use attribute_compare, .*regex_any, .*, or add "aggregate" to label the account from its posts$/);
    assert.deepEqual(await problems({ label, subject: 'account', aggregate: { minPosts: 3, share: 1.5, windowDays: 0 }, filter: { embed_type: ['==', 'image'] } }), [
      ['aggregate.share', 'share is a fraction in (0, 1], e.g. 0.5'],
      ['aggregate.windowDays', 'windowDays must be positive'],
    ]);
    assert.deepEqual(await problems({ label, subject: 'account', aggregate: { minPosts: 3, share: 0.5, windowDays: 7 }, filter: { embed_type: ['==', 'image'] } }), [], 'an aggregate decides on posts: post operators are fine');
  });
});
