/**
 * Aho–Corasick over literals (UTF-16 text without surrogates): one pass over a text reports every
 * occurrence of every literal, overlapping ones included, in time linear in the text whatever the
 * number of literals. ASCII steps are a DFA on a compressed alphabet (one table lookup per character);
 * other characters, fewer in most posts, follow the trie and its failure links. Characters that occur
 * in no literal lead straight back to the start.
 */
export class LiteralAutomaton {
  /** Per ASCII code, its class (0: in no literal). */
  private readonly classOf = new Uint8Array(128);
  private readonly width: number;
  /** Next state on an ASCII character, `state * width + class`. */
  private readonly delta: Int32Array;
  /** Trie edges on other characters, `state * 0x10000 + unit`. */
  private readonly wide = new Map<number, number>();
  /** 1 for the non-ASCII units some literal uses. */
  private readonly wideAlphabet = new Uint8Array(0x10000);
  private readonly fail: Int32Array;
  /** Literals ending at a state: `ends[endsStart[s]..endsStart[s+1])`. */
  private readonly endsStart: Int32Array;
  private readonly ends: Int32Array;
  /** The nearest state on the failure chain that ends literals (-1: none), so outputs are walked without the whole chain. */
  private readonly outputLink: Int32Array;
  /** The state itself when it ends literals, else its output link: the first state whose literals a visit reports. */
  private readonly firstOutput: Int32Array;
  readonly lengths: Int32Array;

  /**
   * `literals` are non-empty and surrogate-free; a literal's index is its id in `scan`'s reports. With
   * `fold`, text is read through it (a case-folding table: literals are then given folded).
   */
  constructor(
    literals: readonly string[],
    private readonly fold?: Readonly<Uint16Array>,
  ) {
    let classes = 1;
    for (const literal of literals) {
      if (!literal.length) throw new Error('an empty literal matches everywhere');
      for (let i = 0; i < literal.length; i++) {
        const code = literal.charCodeAt(i);
        if (code >= 0xd800 && code <= 0xdfff) throw new Error(`literal ${JSON.stringify(literal)} has a surrogate`);
        if (code >= 128) this.wideAlphabet[code] = 1;
        else if (!this.classOf[code]) this.classOf[code] = classes++;
      }
    }
    const width = (this.width = classes);
    const capacity = literals.reduce((sum, l) => sum + l.length, 0) + 1;
    const trie = new Int32Array(capacity * width).fill(-1);
    const wideChildren: number[][] = [[]];
    const endingHere: number[][] = [[]];
    let states = 1;
    literals.forEach((literal, id) => {
      let state = 0;
      for (let i = 0; i < literal.length; i++) {
        const code = literal.charCodeAt(i);
        let next = code < 128 ? trie[state * width + this.classOf[code]!]! : (this.wide.get(state * 0x10000 + code) ?? -1);
        if (next === -1) {
          next = states++;
          wideChildren.push([]);
          endingHere.push([]);
          if (code < 128) trie[state * width + this.classOf[code]!] = next;
          else {
            this.wide.set(state * 0x10000 + code, next);
            wideChildren[state]!.push(code);
          }
        }
        state = next;
      }
      endingHere[state]!.push(id);
    });
    // Breadth first: a state's failure (the longest proper suffix that is a trie state) is known before its children's.
    const delta = (this.delta = new Int32Array(states * width));
    const fail = (this.fail = new Int32Array(states));
    const outputLink = (this.outputLink = new Int32Array(states).fill(-1));
    const queue = new Int32Array(states);
    let tail = 0;
    for (let c = 0; c < width; c++) {
      const next = trie[c]!;
      delta[c] = next === -1 ? 0 : next;
      if (next > 0) queue[tail++] = next;
    }
    for (const code of wideChildren[0]!) queue[tail++] = this.wide.get(code)!;
    for (let head = 0; head < tail; head++) {
      const state = queue[head]!;
      const failure = fail[state]!;
      outputLink[state] = endingHere[failure]!.length ? failure : outputLink[failure]!;
      for (let c = 0; c < width; c++) {
        const next = trie[state * width + c]!;
        if (next === -1) delta[state * width + c] = delta[failure * width + c]!;
        else {
          delta[state * width + c] = next;
          fail[next] = delta[failure * width + c]!;
          queue[tail++] = next;
        }
      }
      for (const code of wideChildren[state]!) {
        const next = this.wide.get(state * 0x10000 + code)!;
        fail[next] = this.wideStep(failure, code);
        queue[tail++] = next;
      }
    }
    this.endsStart = new Int32Array(states + 1);
    for (let s = 0; s < states; s++) this.endsStart[s + 1] = this.endsStart[s]! + endingHere[s]!.length;
    this.firstOutput = Int32Array.from(endingHere, (own, s) => (own.length ? s : outputLink[s]!));
    this.ends = Int32Array.from(endingHere.flat());
    this.lengths = Int32Array.from(literals, (l) => l.length);
  }

  /** The next state on a non-ASCII unit some literal uses: the trie edge, else the failure's. */
  private wideStep(state: number, code: number): number {
    for (;;) {
      const next = this.wide.get(state * 0x10000 + code);
      if (next !== undefined) return next;
      if (state === 0) return 0;
      state = this.fail[state]!;
    }
  }

  /** Reports each occurrence as `found(literal id, end)` (end exclusive, in UTF-16 units of `text`). */
  scan(text: string, found: (literal: number, end: number) => void): void {
    const { classOf, delta, width, fold, wideAlphabet, firstOutput } = this;
    let state = 0;
    // Two loops rather than a test of `fold` per character: this is the evaluator's innermost loop.
    if (fold)
      for (let i = 0; i < text.length; i++) {
        const code = fold[text.charCodeAt(i)]!;
        state = code < 128 ? delta[state * width + classOf[code]!]! : wideAlphabet[code] ? this.wideStep(state, code) : 0;
        if (firstOutput[state] !== -1) this.report(state, i + 1, found);
      }
    else
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        state = code < 128 ? delta[state * width + classOf[code]!]! : wideAlphabet[code] ? this.wideStep(state, code) : 0;
        if (firstOutput[state] !== -1) this.report(state, i + 1, found);
      }
  }

  private report(state: number, end: number, found: (literal: number, end: number) => void): void {
    const { endsStart, ends, outputLink } = this;
    for (let s = this.firstOutput[state]!; s !== -1; s = outputLink[s]!) {
      for (let e = endsStart[s]!; e < endsStart[s + 1]!; e++) found(ends[e]!, end);
    }
  }
}
