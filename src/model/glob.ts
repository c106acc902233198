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

/**
 * The set starting at chars[start] (a `[`) and the index of its `]`, or undefined when it is never closed. It means
 * what Python's fnmatch makes of it (Cobbler's matcher), quirks included: fnmatch rewrites the set into a regular
 * expression class, dropping each reversed range (z-a) by joining what surrounds it, and a class left as just "!"
 * then matches any character; so the set is rebuilt the same way here and read as `re` reads a class.
 */
function parseSet(
  chars: string[],
  start: number,
): { matches: (char: string) => boolean; end: number } | undefined {
  const open = start + 1;
  let end = open;
  if (chars[end] === '!') end++;
  if (chars[end] === ']') end++;
  while (end < chars.length && chars[end] !== ']') end++;
  if (end >= chars.length) return undefined;
  const source = classSource(chars, open, end);
  if (source.length === 0) return { matches: () => false, end };
  if (source.length === 1 && source[0] === '!') return { matches: () => true, end };
  return { matches: classMatcher(source), end };
}

/** What fnmatch.translate writes between `[` and `]`, as a list of characters (escapes kept as two). */
function classSource(chars: string[], open: number, end: number): string[] {
  const body = chars.slice(open, end);
  const escapeChunk = (part: string[]) =>
    part.flatMap((char) => (char === '\\' || char === '-' ? ['\\', char] : [char]));
  if (!body.includes('-')) return body.flatMap((char) => (char === '\\' ? ['\\', char] : [char]));
  // Chunks are split at each `-` that can make a range: never the first character (nor the one after `!`), and
  // never two in a row, which is how `a--b` keeps its second hyphen as a character.
  const chunks: string[][] = [];
  let from = open;
  let at = chars[open] === '!' ? open + 2 : open + 1;
  for (;;) {
    const hyphen = chars.indexOf('-', at);
    if (hyphen === -1 || hyphen >= end) break;
    chunks.push(chars.slice(from, hyphen));
    from = hyphen + 1;
    at = hyphen + 3;
  }
  const last = chars.slice(from, end);
  if (last.length > 0) chunks.push(last);
  else chunks[chunks.length - 1]?.push('-');
  // A reversed range is dropped with its two ends: the chunks either side are joined.
  for (let k = chunks.length - 1; k > 0; k--) {
    const before = chunks[k - 1] as string[];
    const after = chunks[k] as string[];
    if ((before.at(-1) ?? '') > (after[0] ?? '')) {
      chunks[k - 1] = [...before.slice(0, -1), ...after.slice(1)];
      chunks.splice(k, 1);
    }
  }
  const source: string[] = [];
  chunks.forEach((chunk, index) => {
    if (index > 0) source.push('-');
    source.push(...escapeChunk(chunk));
  });
  return source;
}

/** Reads a class as Python's `re` does: `!` first negates (fnmatch's `^`), `\x` is x, `a-b` is a range. */
function classMatcher(source: string[]): (char: string) => boolean {
  const negated = source[0] === '!';
  const items: { char: string; escaped: boolean }[] = [];
  for (let i = negated ? 1 : 0; i < source.length; i++) {
    const char = source[i] as string;
    if (char === '\\' && i + 1 < source.length) items.push({ char: source[++i] as string, escaped: true });
    else items.push({ char, escaped: false });
  }
  const singles: string[] = [];
  const ranges: [number, number][] = [];
  for (let i = 0; i < items.length; i++) {
    const low = items[i] as { char: string };
    const dash = items[i + 1];
    const high = items[i + 2];
    if (dash && !dash.escaped && dash.char === '-' && high) {
      ranges.push([low.char.codePointAt(0) as number, high.char.codePointAt(0) as number]);
      i += 2;
    } else singles.push(low.char);
  }
  const inSet = (char: string) => {
    const code = char.codePointAt(0) as number;
    return singles.includes(char) || ranges.some(([low, high]) => code >= low && code <= high);
  };
  // Case-insensitive as a regular expression with the i flag: the character or either of its cases is in the set.
  const member = (char: string) => inSet(char) || inSet(char.toLowerCase()) || inSet(char.toUpperCase());
  return negated ? (char) => !member(char) : member;
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
