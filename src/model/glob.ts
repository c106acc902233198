// Cobbler's fnmatch, shared by `find` (field=glob searches) and the role rules' host name patterns.
//
// Searches are open reads, so a pattern is a stranger's input run against every object. A glob turned into a
// regular expression (one `.*` per `*`) backtracks: `************#` took seconds on one kernel path, and each more
// `*` tripled it. So a glob is matched as what it is, a line of tokens, by simulating every position at once (a
// bit-parallel NFA, one bit per token): each character of the text costs one pass over ceil(tokens / 32) words,
// whatever the pattern, so matching is linear in the text and bounded by the pattern's capped length.

import { invalid, quote } from '../errors.js';

/** Longer patterns are refused: the cost of a match grows with the pattern's length. */
export const maxGlobLength = 256;

export interface Glob {
  /** Whether the whole of `text` matches, ignoring case. */
  test(text: string): boolean;
}

type Token = { kind: 'star' } | { kind: 'one'; matches: (char: string) => boolean };

/**
 * `*`, `?` and `[...]` (`[!...]` negates, a `]` first in the set is literal, `a-z` ranges, a reversed range
 * matches nothing), case-insensitive, matching the whole value; a `[` with no closing `]` is a literal `[`, as in
 * Python's fnmatch. Throws one sentence when the pattern is longer than maxGlobLength.
 */
export function compileGlob(glob: string, what = 'Search pattern'): Glob {
  if (glob.length > maxGlobLength) {
    throw invalid(
      `${what} ${quote(`${glob.slice(0, 40)}...`)} is ${glob.length} characters long, over the limit of ${maxGlobLength}; use a shorter pattern.`,
    );
  }
  if (!/[*?[]/.test(glob)) {
    const wanted = glob.toLowerCase();
    return { test: (text) => text.toLowerCase() === wanted };
  }
  if (/^\*+$/.test(glob)) return { test: () => true };
  return new TokenMatcher(tokenize(glob));
}

function sameLetter(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

function tokenize(glob: string): Token[] {
  const tokens: Token[] = [];
  const chars = [...glob];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    if (char === '*') {
      // `**` is `*`: the matcher relies on no two stars being next to each other.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (char === '?') tokens.push({ kind: 'one', matches: () => true });
    else if (char === '[') {
      const set = parseSet(chars, i);
      if (set) {
        tokens.push({ kind: 'one', matches: set.matches });
        i = set.end;
      } else tokens.push({ kind: 'one', matches: (text) => text === '[' });
    } else tokens.push({ kind: 'one', matches: (text) => sameLetter(text, char) });
  }
  return tokens;
}

/** The set starting at chars[start] (a `[`) and the index of its `]`, or undefined when it is never closed. */
function parseSet(
  chars: string[],
  start: number,
): { matches: (char: string) => boolean; end: number } | undefined {
  let i = start + 1;
  const negated = chars[i] === '!';
  if (negated) i++;
  const first = i;
  if (chars[i] === ']') i++;
  while (i < chars.length && chars[i] !== ']') i++;
  if (i >= chars.length) return undefined;
  const body = chars.slice(first, i);
  const singles: string[] = [];
  const ranges: [number, number][] = [];
  for (let j = 0; j < body.length; j++) {
    const low = body[j] as string;
    const high = body[j + 2];
    if (body[j + 1] === '-' && high !== undefined) {
      // A reversed range (z-a) matches nothing, as Python's fnmatch drops it.
      ranges.push([low.codePointAt(0) as number, high.codePointAt(0) as number]);
      j += 2;
    } else singles.push(low);
  }
  const inSet = (char: string) => {
    const code = char.codePointAt(0) as number;
    return singles.includes(char) || ranges.some(([low, high]) => code >= low && code <= high);
  };
  // Case-insensitive as a regular expression with the i flag: the character or either of its cases is in the set.
  const member = (char: string) => inSet(char) || inSet(char.toLowerCase()) || inSet(char.toUpperCase());
  return { matches: negated ? (char) => !member(char) : member, end: i };
}

const maxCachedMasks = 512;

/**
 * Bit i of the state means "the first i tokens match the text read so far". A character moves every bit i whose
 * token i accepts it to i + 1; a star's bit stays (the star takes the character); and a star's bit also sets the
 * next one (the star takes nothing), which is one shift since stars never touch.
 */
class TokenMatcher implements Glob {
  readonly #tokens: Token[];
  readonly #words: number;
  readonly #stars: Uint32Array;
  /** Per character seen: bit i + 1 set where token i accepts it (not a star). */
  readonly #masks = new Map<string, Uint32Array>();

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
    this.#words = Math.ceil((tokens.length + 1) / 32);
    this.#stars = new Uint32Array(this.#words);
    tokens.forEach((token, index) => {
      if (token.kind === 'star') setBit(this.#stars, index);
    });
  }

  test(text: string): boolean {
    const words = this.#words;
    let state = new Uint32Array(words);
    let next = new Uint32Array(words);
    setBit(state, 0);
    this.#closeOverStars(state);
    for (const char of text) {
      const mask = this.#maskFor(char);
      let carry = 0;
      let alive = 0;
      for (let w = 0; w < words; w++) {
        const word = state[w] as number;
        const value = (((word << 1) | carry) & (mask[w] as number)) | (word & (this.#stars[w] as number));
        carry = word >>> 31;
        next[w] = value;
        alive |= value;
      }
      if (alive === 0) return false;
      [state, next] = [next, state];
      this.#closeOverStars(state);
    }
    const end = this.#tokens.length;
    return ((state[end >>> 5] as number) & (1 << (end & 31))) !== 0;
  }

  #closeOverStars(state: Uint32Array): void {
    let carry = 0;
    for (let w = 0; w < this.#words; w++) {
      const starred = (state[w] as number) & (this.#stars[w] as number);
      state[w] = (state[w] as number) | (starred << 1) | carry;
      carry = starred >>> 31;
    }
  }

  #maskFor(char: string): Uint32Array {
    const cached = this.#masks.get(char);
    if (cached) return cached;
    const mask = new Uint32Array(this.#words);
    this.#tokens.forEach((token, index) => {
      if (token.kind === 'one' && token.matches(char)) setBit(mask, index + 1);
    });
    // Texts from a small alphabet fill the cache once; an unusual text beyond its size is matched uncached.
    if (this.#masks.size < maxCachedMasks) this.#masks.set(char, mask);
    return mask;
  }
}

function setBit(bits: Uint32Array, index: number): void {
  bits[index >>> 5] = (bits[index >>> 5] as number) | (1 << (index & 31));
}
