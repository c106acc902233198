// Times the glob matcher on seeded adversarial patterns of the greatest allowed length, against texts of two
// lengths, and prints the CPU microseconds of each as JSON. Run as a child process by search-patterns.test.ts, so
// that a matcher which backtracks is killed at a deadline instead of hanging the test runner.

import { compileGlob, maxGlobLength } from '../../src/model/glob.js';

const seed = Number(process.argv[2] ?? 1);
const patterns = Number(process.argv[3] ?? 20);
const [shortLength, longLength] = [2_000, 16_000];

let state = seed >>> 0;
const random = () => {
  state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
  return state / 4_294_967_296;
};

// Stars between letters that nearly match, and a last character the text never has: the shape that makes a
// backtracking matcher try every way of splitting the text among the stars.
const pieces = ['*', '*', 'a', 'a', '?', '[ab]', 'b', '[!c]'];
// The leading star keeps every match alive to the end of the text: none can be refused early.
function adversarialPattern(): string {
  let pattern = '*';
  while (pattern.length < maxGlobLength - 2) pattern += pieces[Math.floor(random() * pieces.length)];
  return `${pattern.slice(0, maxGlobLength - 2)}*#`;
}

function text(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += random() < 0.8 ? 'a' : 'b';
  return out;
}

/**
 * CPU microseconds of one match, from the fastest of five rounds of ten (long enough to measure): the round least
 * disturbed by whatever else the machine runs.
 */
function cpuMicros(test: (text: string) => boolean, input: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const before = process.cpuUsage();
    for (let run = 0; run < 10; run++) test(input);
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 10);
  }
  return best;
}

const results = [];
for (let i = 0; i < patterns; i++) {
  const pattern = adversarialPattern();
  const glob = compileGlob(pattern);
  const short = text(shortLength);
  const long = text(longLength);
  results.push({
    pattern,
    shortLength,
    longLength,
    shortMicros: cpuMicros((input) => glob.test(input), short),
    longMicros: cpuMicros((input) => glob.test(input), long),
  });
}
process.stdout.write(JSON.stringify(results));
