/**
 * Required literals of a regex (RE2 syntax): strings of which every match contains at least one, so
 * that a text containing none of them is known not to match without running the regex (the idea of
 * RE2's FilteredRE2). `\belections?\b` requires "election"; `colou?r` one of "color", "colour";
 * `(vote|ballot)s?` one of "vote", "ballot". The analysis is conservative: any construct it does not
 * know (inline flags, `\Q…\E`, hex escapes, …) gives up (undefined: always run the regex), and a
 * character outside the BMP counts as "some character". Literals are as written: under
 * case-insensitive matching the scan folds them as it folds the text.
 */

/** What a sub-pattern says about its matches: all of them (a small set of strings), or strings each match contains one of, or nothing. */
type Info = { exact: Set<string> } | { anyOf: Set<string> } | { nothing: true };

const NOTHING: Info = { nothing: true };
/** Sets of exact strings grow by cross product: past this size they become required substrings. */
const MAX_EXACT = 64;

class GiveUp extends Error {}

const exact = (strings: Iterable<string>): Info => ({ exact: new Set(strings) });

/** Required substrings of a sub-pattern, or undefined when a match may contain none of them. */
function required(info: Info): Set<string> | undefined {
  const set = 'exact' in info ? info.exact : 'anyOf' in info ? info.anyOf : undefined;
  return set && !set.has('') ? set : undefined;
}

/** The better of two requirements: the one whose shortest string is longer (fewer false candidates). */
function better(a: Set<string> | undefined, b: Set<string> | undefined): Set<string> | undefined {
  if (!a || !b) return a ?? b;
  const shortest = (s: Set<string>) => Math.min(...[...s].map((x) => x.length));
  return shortest(b) > shortest(a) ? b : a;
}

function concat(a: Info, b: Info): Info {
  if ('exact' in a && 'exact' in b && a.exact.size * b.exact.size <= MAX_EXACT) return exact([...a.exact].flatMap((x) => [...b.exact].map((y) => x + y)));
  const best = better(required(a), required(b));
  return best ? { anyOf: best } : NOTHING;
}

function alternate(options: Info[]): Info {
  if (options.every((o) => 'exact' in o)) {
    const union = new Set(options.flatMap((o) => [...(o as { exact: Set<string> }).exact]));
    if (union.size <= MAX_EXACT) return { exact: union };
  }
  const sets = options.map(required);
  return sets.every((s) => s) ? { anyOf: new Set(sets.flatMap((s) => [...s!])) } : NOTHING;
}

class Parser {
  private i = 0;

  constructor(private readonly source: string) {}

  parse(): Info {
    const info = this.alternation();
    if (this.i !== this.source.length) throw new GiveUp();
    return info;
  }

  private peek(): string | undefined {
    return this.source[this.i];
  }

  private alternation(): Info {
    const options = [this.concatenation()];
    while (this.peek() === '|') {
      this.i++;
      options.push(this.concatenation());
    }
    return options.length === 1 ? options[0]! : alternate(options);
  }

  private concatenation(): Info {
    let info: Info = exact(['']);
    while (this.i < this.source.length && this.peek() !== '|' && this.peek() !== ')') info = concat(info, this.repetition());
    return info;
  }

  private repetition(): Info {
    const atom = this.atom();
    const c = this.peek();
    let min: number;
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      min = c === '+' ? 1 : 0;
    } else if (c === '{') {
      const braces = /^\{(\d+)(,\d*)?\}/.exec(this.source.slice(this.i));
      // RE2 reads a brace that is not a repetition as a literal; not worth knowing here.
      if (!braces) throw new GiveUp();
      this.i += braces[0].length;
      min = Number(braces[1]);
      if (braces[2] === undefined && min <= 1) {
        if (this.peek() === '?') this.i++;
        return min === 0 ? exact(['']) : atom;
      }
    } else return atom;
    if (this.peek() === '?') this.i++; // lazy: the same strings
    // Optional: its strings or nothing, when it has a known few; otherwise any number of anything.
    if (min === 0) return c === '?' && 'exact' in atom ? exact(['', ...atom.exact]) : NOTHING;
    const need = required(atom);
    return need ? { anyOf: need } : NOTHING;
  }

  private atom(): Info {
    const c = this.source[this.i++];
    switch (c) {
      case '(':
        return this.group();
      case '[':
        this.skipClass();
        return NOTHING;
      case '.':
        return NOTHING;
      case '^':
      case '$':
        return exact(['']);
      case '\\':
        return this.escape();
      case undefined:
      case ')':
      case '*':
      case '+':
      case '?':
        throw new GiveUp();
      default:
        return this.literal(c);
    }
  }

  private literal(c: string): Info {
    const code = c.charCodeAt(0);
    // Half of a character outside the BMP: some character, nothing more is claimed.
    return code >= 0xd800 && code <= 0xdfff ? NOTHING : exact([c]);
  }

  private group(): Info {
    const rest = this.source.slice(this.i);
    const opening = /^\?(?::|P?<[A-Za-z_][A-Za-z0-9_]*>)/.exec(rest)?.[0] ?? (rest.startsWith('?') ? undefined : '');
    if (opening === undefined) throw new GiveUp(); // inline flags and the like
    this.i += opening.length;
    const info = this.alternation();
    if (this.source[this.i++] !== ')') throw new GiveUp();
    return info;
  }

  /** Moves past a character class: it stands for one character of a set, so it adds nothing required. */
  private skipClass(): void {
    if (this.peek() === '^') this.i++;
    if (this.peek() === ']') this.i++;
    while (this.i < this.source.length) {
      const c = this.source[this.i];
      if (c === ']') {
        this.i++;
        return;
      }
      if (c === '\\') this.i += 2;
      else if (this.source.startsWith('[:', this.i)) {
        const end = this.source.indexOf(':]', this.i + 2);
        if (end < 0) throw new GiveUp();
        this.i = end + 2;
      } else this.i++;
    }
    throw new GiveUp();
  }

  private escape(): Info {
    const c = this.source[this.i++];
    if (c === undefined) throw new GiveUp();
    if ('bBAz'.includes(c)) return exact(['']);
    if ('dDwWsS'.includes(c)) return NOTHING;
    if (c === 'p' || c === 'P') {
      if (this.peek() === '{') {
        const end = this.source.indexOf('}', this.i);
        if (end < 0) throw new GiveUp();
        this.i = end + 1;
      } else this.i++;
      return NOTHING;
    }
    // Escaped punctuation is that character; letters and digits are escapes this analysis does not read.
    if (/^[!-/:-@[-`{-~]$/.test(c)) return this.literal(c);
    throw new GiveUp();
  }
}

/**
 * The strings of which every match of `pattern` contains one, or undefined when there is no such set
 * (the regex must then run on every value).
 */
export function requiredLiterals(pattern: string): string[] | undefined {
  try {
    const need = required(new Parser(pattern).parse());
    return need ? [...need] : undefined;
  } catch (error) {
    if (error instanceof GiveUp) return undefined;
    throw error;
  }
}
