import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RE2JS } from 're2js';
import { LiteralAutomaton } from '../src/evaluate/automaton.ts';
import { caseFoldTable, foldLiteral, registerCaseOrbits } from '../src/evaluate/case-fold.ts';
import { decideBatch, evaluateBatch, evaluationPlan } from '../src/evaluate/index.ts';
import { requiredLiterals } from '../src/evaluate/literals.ts';
import { PatternScan } from '../src/evaluate/pattern-scan.ts';
import { compileManifest, type CompiledManifest } from '../src/manifests/load.ts';
import { operators } from '../src/operators/index.ts';
import { compileRegex, regexPart, termsPattern, termsTextPattern } from '../src/operators/regex.ts';
import { random } from './support/rule-manifests.ts';
import { post, testRegistry } from './support/test-operators.ts';

/** The rule generator's seeded random, plus random strings made of `pieces`. */
function seeded(seed: number) {
  const r = random(seed);
  const text = (pieces: readonly string[], max: number) => Array.from({ length: Math.floor(r.next() * max) }, () => r.pick(pieces)).join('');
  return { ...r, text };
}

const fold = (text: string) => String.fromCharCode(...Array.from({ length: text.length }, (_, i) => caseFoldTable[text.charCodeAt(i)]!));

/** Every BMP character but the surrogates, then every supplementary one. */
function everyCharacter(): string[] {
  const out: string[] = [];
  for (let c = 0; c <= 0x10ffff; c++) if (c < 0xd800 || c > 0xdfff) out.push(String.fromCodePoint(c));
  return out;
}

describe('literal automaton', () => {
  it('reports every occurrence of every literal, overlapping ones included, as a naive search does (exact and folded)', () => {
    const r = seeded(1);
    const pieces = ['a', 'b', 'K', 'k', 'é', 'É', 'в', 'В', '日', ' ', '-', '\u212a', '😀'];
    for (let round = 0; round < 300; round++) {
      const literals = [...new Set(Array.from({ length: 1 + Math.floor(r.next() * 6) }, () => r.text(pieces.slice(0, -1), 4)).filter(Boolean))];
      if (!literals.length) continue;
      const text = r.text(pieces, 30);
      for (const folded of [false, true]) {
        const wanted = folded ? literals.map(foldLiteral) : literals;
        const automaton = new LiteralAutomaton(wanted, folded ? caseFoldTable : undefined);
        const found: string[] = [];
        automaton.scan(text, (id, end) => found.push(`${id}@${end}`));
        const haystack = folded ? fold(text) : text;
        const expected = wanted.flatMap((literal, id) => Array.from({ length: haystack.length }, (_, i) => (haystack.startsWith(literal, i) ? [`${id}@${i + literal.length}`] : [])).flat());
        assert.deepEqual(found.sort(), expected.sort(), `${JSON.stringify(literals)} in ${JSON.stringify(text)} (folded: ${folded})`);
      }
    }
  });
});

describe('case folding', () => {
  it("folds ASCII letters with exactly the characters RE2's case-insensitive matching equates with them", () => {
    const letters = RE2JS.compile('^[a-z]$', RE2JS.CASE_INSENSITIVE);
    const equated = everyCharacter().filter((c) => letters.test(c));
    const expected = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', '\u017f', '\u212a'];
    assert.deepEqual(equated.sort(), expected.sort());
    for (const c of equated) assert.equal(caseFoldTable[c.charCodeAt(0)], c.toLowerCase().charCodeAt(0) === 0x17f ? 115 : c === '\u212a' ? 107 : c.toLowerCase().charCodeAt(0));
  });

  it('folds other characters by their RE2 case orbit once a literal uses them, and nothing else', () => {
    const bmp = everyCharacter().filter((c) => c.length === 1);
    for (const c of ['в', 'σ', 'ǅ', 'ß', 'Ω', 'ı', '日']) {
      registerCaseOrbits(c);
      const same = RE2JS.compile(`^${RE2JS.quote(c)}$`, RE2JS.CASE_INSENSITIVE);
      for (const y of bmp) assert.equal(caseFoldTable[y.charCodeAt(0)] === caseFoldTable[c.charCodeAt(0)], same.test(y), `${c} and U+${y.charCodeAt(0).toString(16)}`);
    }
  });
});

describe('required literals of a regex', () => {
  it('names what common patterns need, and gives up on what it does not read', () => {
    assert.deepEqual(requiredLiterals('\\belections?\\b')?.sort(), ['election', 'elections']);
    assert.deepEqual(requiredLiterals('colou?r')?.sort(), ['color', 'colour']);
    assert.deepEqual(requiredLiterals('(vote|ballot)s+')?.sort(), ['ballot', 'vote']);
    assert.deepEqual(requiredLiterals('^https://(www\\.)?youtube\\.com/')?.sort(), ['https://www.youtube.com/', 'https://youtube.com/']);
    assert.equal(requiredLiterals('a.*b|c*'), undefined, 'c* matches the empty string');
    assert.equal(requiredLiterals('(?i)vote'), undefined, 'inline flags: not read');
    assert.equal(requiredLiterals('\\x41bc'), undefined, 'hex escapes: not read');
  });

  it('never misses: whenever a random regex matches a random text, the text contains one of its required literals', () => {
    const r = seeded(2);
    const atoms = ['a', 'b', 'K', 'é', 'в', '.', '[ab]', '\\b', '^', '$', '\\d', '\\.', '(?:a|b)', '(a|)', '(?:ab)'];
    const regex = (depth: number): string => {
      const parts = Array.from({ length: 1 + Math.floor(r.next() * 4) }, () => {
        const atom = depth > 0 && r.next() < 0.3 ? `(${regex(depth - 1)})` : r.pick(atoms);
        return atom + (['^', '$', '\\b'].includes(atom) ? '' : r.pick(['', '', '', '?', '*', '+', '{2}', '{0,2}', '{1,}', '??']));
      });
      return r.next() < 0.2 ? `${parts.join('')}|${regex(depth - 1)}` : parts.join('');
    };
    let checked = 0;
    for (let round = 0; round < 600; round++) {
      const source = regex(2);
      const caseInsensitive = r.next() < 0.5;
      const compiled = compileRegex(source, caseInsensitive);
      const needed = requiredLiterals(source);
      if (!needed) continue;
      for (let t = 0; t < 20; t++) {
        const text = r.text(['a', 'b', 'A', 'k', 'K', '\u212a', 'é', 'É', 'в', 'В', 'ᲀ', ' ', '.', '1'], 12);
        if (!compiled.test(text)) continue;
        checked++;
        const haystack = caseInsensitive ? fold(text) : text;
        assert.ok(
          needed.some((l) => haystack.includes(caseInsensitive ? foldLiteral(l) : l)),
          `${source} (case-insensitive: ${caseInsensitive}) matches ${JSON.stringify(text)} without any of ${JSON.stringify(needed)}`,
        );
      }
    }
    assert.ok(checked > 200, `enough matches checked (${checked})`);
  });
});

describe('pattern scan', () => {
  it("decides regex_any terms and regexes over one path exactly as each leaf's own regex does", () => {
    const r = seeded(3);
    const vocabulary = ['apple', 'Apple', 'pie', 'kiwi', 'straße', 'кот', 'Кот', 'σοφία', '日本', 'a.b', 'http://x', 'x.com', 'c++', 'promo code', 'ǅ'];
    const separators = [' ', '-', '/', '.', '_', ',', '\n', 'é', '\u0345', '😀', '\ud800', '\u212a', '\u017f', 'K', 'S', '1', 'ᲀ', 'the'];
    for (let round = 0; round < 60; round++) {
      const leaves = Array.from({ length: 1 + Math.floor(r.next() * 6) }, () => {
        const caseInsensitive = r.next() < 0.7;
        if (r.next() < 0.25) {
          const source = r.pick(['\\bapples?\\b', 'ki(wi|ss)', 'σοφ', '^pie', 'c\\+\\+$', '[a-z]+\\.com', 'кот']);
          return { reference: compileRegex(source, caseInsensitive), text: { caseInsensitive, literals: [], regex: regexPart(source, compileRegex(source, caseInsensitive)) } };
        }
        const terms = [...new Set(Array.from({ length: 1 + Math.floor(r.next() * 4) }, () => r.pick(vocabulary)))];
        return { reference: compileRegex(termsPattern(terms, false), caseInsensitive), text: termsTextPattern(terms, caseInsensitive, false) };
      });
      const scan = new PatternScan(leaves.map((l) => l.text));
      for (let t = 0; t < 40; t++) {
        const values = Array.from({ length: 1 + Math.floor(r.next() * 2) }, () => r.text([...vocabulary, ...separators, ...separators], 8));
        const epoch = round * 100 + t;
        leaves.forEach((leaf, i) => {
          const expected = values.some((v) => leaf.reference.test(v));
          assert.equal(scan.matches(i, values, epoch), expected, `${leaf.reference.pattern()} on ${JSON.stringify(values)}`);
        });
      }
    }
  });
});

describe('evaluation plan', () => {
  const compile = async (filter: unknown, value: string, registry = testRegistry()) => {
    const { manifest, problems } = await compileManifest(`${value}.json`, JSON.stringify({ label: { value }, filter }), { registry: new Map([...operators, ...registry.registry]) });
    assert.deepEqual(problems, []);
    return manifest!;
  };

  it('evaluates an identical sub-filter of several manifests once per post, and explains only on request', async () => {
    const registry = testRegistry();
    const shared = { and: [{ has_word: ['vote'] }, { has_word: ['now'] }] };
    const manifests = [await compile(shared, 'one', registry), await compile({ or: [shared, { contains: ['zzz'] }] }, 'two', registry), await compile(shared, 'three', registry)];
    const posts = [post('vote now', 1), post('vote later', 2), post('nothing', 3)];
    const decisions = await decideBatch(posts, manifests);
    assert.deepEqual(
      Array.from({ length: decisions.size }, (_, i) => decisions.matched(i)),
      [true, true, true, false, false, false, false, false, false],
    );
    assert.equal(registry.calls.decided, 2 + 2 + 1, 'each has_word once per post it was reached on, whatever the number of manifests');
    assert.equal(registry.calls.explained, 0, 'no explanation was asked for');
    assert.deepEqual(
      decisions.verdict(0).explanation.map((e) => [e.path, e.result]),
      [
        ['filter.and', true],
        ['filter.and[0].has_word', true],
        ['filter.and[1].has_word', true],
      ],
    );
    assert.equal(registry.calls.explained, 2);
  });

  it('wakes a manifest only on posts where a literal it needs occurs, yet decides as the reference does (pending and undecided included)', async () => {
    const registry = testRegistry();
    const manifests = [
      await compile({ and: [{ regex_any: ['text', ['zebra', 'okapi']] }, { has_word: ['a'] }] }, 'animals', registry),
      await compile({ and: [{ regex_matches: ['text', '\\bgiraffes?\\b'] }, { long_text: [3] }] }, 'giraffe', registry),
      await compile({ or: [{ regex_any: ['text', ['lion']] }, { not: { long_text: [100] } }] }, 'lion-or-short', registry),
    ];
    const texts = ['a zebra', 'Zebras galore', 'an okapi', 'a giraffe FAIL', 'two giraffes', 'giraffeland', 'a lion', 'plain', 'FAIL'];
    const posts = texts.map((t, i) => post(t, i));
    const decisions = await decideBatch(posts, manifests, registry.providers);
    assert.equal(registry.calls.decided, 2, 'has_word was asked only on the posts with zebra or okapi');
    const reference = await evaluateBatch(posts, manifests, registry.providers);
    assert.deepEqual(
      Array.from({ length: decisions.size }, (_, i) => decisions.matched(i)),
      reference.map((v) => v.matched),
    );
    assert.deepEqual(
      reference.filter((v) => v.label === 'animals').map((v) => v.matched),
      [true, false, true, false, false, false, false, false, false],
    );
    assert.deepEqual(
      reference.filter((v) => v.label === 'giraffe').map((v) => v.matched),
      [false, false, false, null, true, false, false, false, false],
    );
  });

  it('is built once per list of manifests: a reloaded list gets a new plan', async () => {
    const manifests: CompiledManifest[] = [await compile({ regex_any: ['text', ['vote']] }, 'vote')];
    assert.equal(evaluationPlan(manifests), evaluationPlan(manifests));
    const reloaded = [...manifests, await compile({ regex_any: ['text', ['ballot']] }, 'ballot')];
    assert.notEqual(evaluationPlan(reloaded), evaluationPlan(manifests));
    const decisions = await decideBatch([post('a ballot', 1)], reloaded);
    assert.deepEqual([decisions.matched(0), decisions.matched(1)], [false, true]);
  });
});
