import { RE2JS } from 're2js';

/**
 * RE2's case-insensitive matching equates characters by Unicode case orbits (simple folding: `k`,
 * `K` and KELVIN SIGN; Cyrillic `в`, `В` and `ᲀ`). To find case-insensitive literals with an automaton
 * and get exactly RE2's answer, text and literals are folded through one table that maps every member
 * of an orbit to the same character (its lowest), for the orbits of the characters literals use.
 *
 * ASCII letters fold to lower case, and the two non-ASCII members of their orbits (U+212A KELVIN SIGN,
 * U+017F LATIN SMALL LETTER LONG S) with them: a test checks against RE2 that these are all. The orbits
 * of other characters are found when a literal first uses them, by RE2 itself: one case-insensitive
 * scan of every BMP character for the new ones, then one test per member for which it belongs to.
 * Only BMP characters are folded (surrogates map to themselves): literals with others stay regexes.
 * The table is shared by the whole process and only grows; each orbit is computed once.
 */
const table = new Uint16Array(0x10000).map((_, c) => c);
/** 1 for characters whose orbit is in the table. */
const known = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) known[c] = 1;
for (let c = 65; c <= 90; c++) table[c] = c + 32;
table[0x212a] = 107;
table[0x17f] = 115;
known[0x212a] = known[0x17f] = 1;

let everyBmpCharacter: string | undefined;

/** Every BMP character but the surrogates, in order: what an orbit scan searches. */
function bmpCharacters(): string {
  if (everyBmpCharacter === undefined) {
    const chunks: string[] = [];
    for (let start = 0; start < 0x10000; start += 4096) {
      const codes: number[] = [];
      for (let c = start; c < start + 4096; c++) if (c < 0xd800 || c > 0xdfff) codes.push(c);
      chunks.push(String.fromCharCode(...codes));
    }
    everyBmpCharacter = chunks.join('');
  }
  return everyBmpCharacter;
}

const isSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;

/** Puts the orbits of these characters (UTF-16 units, not surrogates) in the table. */
export function registerCaseOrbits(text: string): void {
  const fresh = [...new Set(text)].map((c) => c.charCodeAt(0)).filter((c) => !known[c] && !isSurrogate(c));
  if (!fresh.length) return;
  const everything = bmpCharacters();
  const members: number[] = [];
  const scan = RE2JS.compile(`[${fresh.map((c) => RE2JS.quote(String.fromCharCode(c))).join('')}]`, RE2JS.CASE_INSENSITIVE).matcher(everything);
  while (scan.find()) members.push(everything.charCodeAt(scan.start()));
  for (const c of fresh) {
    if (known[c]) continue;
    const same = RE2JS.compile(`^${RE2JS.quote(String.fromCharCode(c))}$`, RE2JS.CASE_INSENSITIVE);
    const orbit = [c, ...members.filter((m) => m !== c && same.test(String.fromCharCode(m)))];
    // An orbit meeting one already tabled (ASCII's) joins its representative.
    const tabled = orbit.find((m) => known[m]);
    const representative = tabled === undefined ? Math.min(...orbit) : table[tabled]!;
    for (const m of orbit) {
      table[m] = representative;
      known[m] = 1;
    }
  }
}

/** The folding table: index by UTF-16 unit. Only the orbits registered so far are folded. */
export const caseFoldTable: Readonly<Uint16Array> = table;

/** A literal folded through the table (its characters registered first). */
export function foldLiteral(text: string): string {
  registerCaseOrbits(text);
  let folded = '';
  for (let i = 0; i < text.length; i++) folded += String.fromCharCode(table[text.charCodeAt(i)]!);
  return folded;
}
