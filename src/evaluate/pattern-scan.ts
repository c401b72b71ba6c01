import type { LiteralAcceptor, TextPattern } from '../core/operator.ts';
import { LiteralAutomaton } from './automaton.ts';
import { caseFoldTable, foldLiteral } from './case-fold.ts';
import type { LeafIndex } from './leaf-index.ts';
import { requiredLiterals } from './literals.ts';

/** The patterns an automaton serves for one literal: those it decides (through `accepts`) and those whose regex needs it (`accepts` null). */
interface LiteralUse {
  accepts: LiteralAcceptor | null;
  patterns: number[];
}

/** One automaton (case-folded or exact) with what each of its literals means to the patterns. */
class LiteralSet {
  readonly ids = new Map<string, number>();
  readonly uses: LiteralUse[][] = [];

  add(literal: string, pattern: number, accepts: LiteralAcceptor | null): void {
    let id = this.ids.get(literal);
    if (id === undefined) {
      this.ids.set(literal, (id = this.uses.length));
      this.uses.push([]);
    }
    const uses = this.uses[id]!;
    const use = uses.find((u) => u.accepts === accepts);
    if (!use) uses.push({ accepts, patterns: [pattern] });
    else if (!use.patterns.includes(pattern)) use.patterns.push(pattern);
  }

  build(fold?: Readonly<Uint16Array>): LiteralAutomaton | undefined {
    return this.ids.size ? new LiteralAutomaton([...this.ids.keys()], fold) : undefined;
  }
}

const textOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);

/**
 * The text patterns of every leaf that reads one path, run together over a post's values. One pass of
 * an Aho–Corasick automaton per value (and case mode) finds every literal of every pattern: a literal
 * term decides its pattern where its acceptor agrees (word boundaries), a required literal marks its
 * regex as worth running. A regex then runs only for the patterns asked about whose literals occurred
 * (or that have no literal to look for). Results hold for one post, named by an epoch number.
 */
export class PatternScan implements LeafIndex {
  private readonly folded: LiteralAutomaton | undefined;
  private readonly exact: LiteralAutomaton | undefined;
  private readonly foldedUses: LiteralUse[][];
  private readonly exactUses: LiteralUse[][];
  private readonly regexes: (TextPattern['regex'] | undefined)[];
  /** 1 where the regex runs only if one of its required literals occurred. */
  private readonly filtered: Uint8Array;
  /** The epoch in which a pattern was found to match by its literals, or its required literal seen. */
  private readonly matched: Int32Array;
  private readonly candidate: Int32Array;
  /** The patterns that matched or saw a required literal in the epoch scanned, in the order found. */
  private readonly hits: Int32Array;
  private hitCount = 0;
  private scanned = -1;
  /** The value and epoch being scanned, for the automaton's reports. */
  private value = '';
  private epoch = 0;

  constructor(patterns: readonly TextPattern[]) {
    const folded = new LiteralSet();
    const exact = new LiteralSet();
    this.filtered = new Uint8Array(patterns.length);
    patterns.forEach((pattern, i) => {
      const set = pattern.caseInsensitive ? folded : exact;
      const key = (text: string) => (pattern.caseInsensitive ? foldLiteral(text) : text);
      for (const literal of pattern.literals) set.add(key(literal.text), i, literal.accepts);
      const needed = pattern.regex && requiredLiterals(pattern.regex.source);
      if (needed) {
        this.filtered[i] = 1;
        for (const literal of needed) set.add(key(literal), i, null);
      }
    });
    this.folded = folded.build(caseFoldTable);
    this.exact = exact.build();
    this.foldedUses = folded.uses;
    this.exactUses = exact.uses;
    this.regexes = patterns.map((p) => p.regex);
    this.matched = new Int32Array(patterns.length).fill(-1);
    this.candidate = new Int32Array(patterns.length).fill(-1);
    this.hits = new Int32Array(patterns.length);
  }

  /** A pattern is indexed when it can only match where its literals occur (a regex without required literals can match anywhere). */
  indexed(i: number): boolean {
    return !this.regexes[i] || this.filtered[i] === 1;
  }

  /** Reports the patterns whose literals occur in the values (scanning them if not done yet for the epoch). */
  forHits(values: readonly unknown[], epoch: number, hit: (pattern: number) => void): void {
    if (this.scanned !== epoch) this.scan(values, epoch);
    for (let h = 0; h < this.hitCount; h++) hit(this.hits[h]!);
  }

  /** Whether pattern `i` matches one of `values`: the first question of an epoch scans them for every pattern. */
  matches(i: number, values: readonly unknown[], epoch: number): boolean {
    if (this.scanned !== epoch) this.scan(values, epoch);
    if (this.matched[i] === epoch) return true;
    const regex = this.regexes[i];
    if (!regex || (this.filtered[i] && this.candidate[i] !== epoch)) return false;
    for (const value of values) {
      const text = textOf(value);
      if (text !== undefined && regex.test(text)) return true;
    }
    return false;
  }

  restart(): void {
    this.scanned = -1;
    this.matched.fill(-1);
    this.candidate.fill(-1);
  }

  private scan(values: readonly unknown[], epoch: number): void {
    this.scanned = this.epoch = epoch;
    this.hitCount = 0;
    for (const value of values) {
      const text = textOf(value);
      if (text === undefined) continue;
      this.value = text;
      this.folded?.scan(text, this.foundFolded);
      this.exact?.scan(text, this.foundExact);
    }
  }

  private readonly foundFolded = (literal: number, end: number) => this.found(this.foldedUses[literal]!, end - this.folded!.lengths[literal]!, end);
  private readonly foundExact = (literal: number, end: number) => this.found(this.exactUses[literal]!, end - this.exact!.lengths[literal]!, end);

  private found(uses: readonly LiteralUse[], start: number, end: number): void {
    const { matched, candidate, epoch } = this;
    for (const { accepts, patterns } of uses) {
      if (accepts === null) {
        for (const p of patterns) {
          if (candidate[p] === epoch) continue;
          if (matched[p] !== epoch) this.hits[this.hitCount++] = p;
          candidate[p] = epoch;
        }
        continue;
      }
      let open = false;
      for (const p of patterns) if (matched[p] !== epoch) open = true;
      if (!open || !accepts(this.value, start, end)) continue;
      for (const p of patterns) {
        if (matched[p] === epoch) continue;
        if (candidate[p] !== epoch) this.hits[this.hitCount++] = p;
        matched[p] = epoch;
      }
    }
  }
}
