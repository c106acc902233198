// The glob matcher against the reference it imitates: Python's fnmatch (Cobbler's), case-insensitive, over many
// seeded random patterns and texts from a small alphabet that crowds in the corner cases (`[!`, `[]`, ranges,
// unclosed sets, runs of stars). Python answers live, in one process, so nothing is copied from our own output.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { reportCount, scaled } from '../../test/support/long-mode.js';
import { compileGlob, maxGlobLength } from './glob.js';

const pythonReference = `
import fnmatch, json, re, sys
cases = json.load(sys.stdin)
json.dump([bool(re.match(fnmatch.translate(p), t, re.IGNORECASE | re.DOTALL)) for p, t in cases], sys.stdout)
`;

/** mulberry32: a small seeded generator, so that a failing case can be found again. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const patternAlphabet = ['a', 'b', 'A', 'z', '-', '.', '*', '*', '?', '[', ']', '!', '\\', 'é'];
const textAlphabet = ['a', 'b', 'A', 'B', 'z', 'Z', '-', '.', '!', ']', '[', '\\', 'é', 'É', '\n'];

function pick(random: () => number, items: string[], length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += items[Math.floor(random() * items.length)];
  return text;
}

describe('compileGlob', () => {
  it('matches as Python fnmatch does, ignoring case, on seeded random patterns and texts', () => {
    const random = seeded(Number(process.env.BOOTWRIGHT_FUZZ_SEED ?? 0x61_0b));
    const cases: [string, string][] = [
      ['web*.example.org', 'WEB7.example.org'],
      ['db[0-9]', 'db7'],
      ['db[!0-9]', 'db7'],
      ['[]]', ']'],
      ['[!]]', 'a'],
      ['[z-a]', 'q'],
      ['[a-', '[a-'],
      ['a*b*c', 'aXbYc'],
    ];
    const count = scaled(20_000, 400_000);
    while (cases.length < count) {
      const pattern = pick(random, patternAlphabet, Math.floor(random() * 10));
      // Half the texts are drawn from the pattern itself, so that matches are common, not rare.
      const text =
        random() < 0.5
          ? pattern.replace(/[*?[\]!]/g, () => pick(random, textAlphabet, Math.floor(random() * 3)))
          : pick(random, textAlphabet, Math.floor(random() * 10));
      cases.push([pattern, text]);
    }
    const answer = execFileSync('/usr/bin/python3', ['-c', pythonReference], {
      input: JSON.stringify(cases),
      maxBuffer: 64 * 1024 * 1024,
    });
    const expected = JSON.parse(answer.toString('utf8')) as boolean[];
    assert.equal(expected.length, cases.length);
    let differing = 0;
    const examples: string[] = [];
    cases.forEach(([pattern, text], index) => {
      const ours = compileGlob(pattern).test(text);
      if (ours !== expected[index]) {
        differing++;
        if (examples.length < 5)
          examples.push(`${JSON.stringify(pattern)} on ${JSON.stringify(text)}: Python ${expected[index]}`);
      }
    });
    assert.equal(differing, 0, `differs from fnmatch in ${differing} cases, e.g. ${examples.join('; ')}`);
    reportCount('glob matcher', 'cases compared with Python fnmatch', cases.length);
  });

  it('refuses a pattern over the length limit with one sentence', () => {
    assert.throws(() => compileGlob('*'.repeat(maxGlobLength + 1), 'Search pattern for "kernel"'), {
      message:
        /^Search pattern for "kernel" "\*{40}\.\.\." is 257 characters long, over the limit of 256; use a shorter pattern\.$/,
    });
    assert.equal(compileGlob(`${'a*'.repeat(maxGlobLength / 2)}`).test('a'.repeat(200)), true);
  });
});
