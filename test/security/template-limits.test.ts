// The Cheetah engine's value cap (issue 16, item 15). Templates are data from whoever may edit them, and no value
// a template builds may pass MAX_VALUE_LENGTH characters or items; but str.replace() and str.join() built 30 to 39
// million. Here every way of building a longer str, list or tuple from values within the cap is tried: each render
// ends in one template error that names the limit, at once, and the string ones run in a worker whose heap holds
// their starting value but not the result, so a route that builds first and measures afterwards dies there.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BootwrightError } from '../../src/errors.js';
import { renderCheetah } from '../../src/templates/cheetah/index.js';
import { MAX_VALUE_LENGTH } from '../../src/templates/cheetah/python-values.js';
import type { RouteOutcome } from './template-limits.fixture.js';

const over = new RegExp(`over the ${MAX_VALUE_LENGTH}|over the \\d+ characters a render may write`);

// 'ā' is outside Latin-1, so V8 keeps two bytes per character: a start at the cap takes 32 MiB, and a result of
// twice the cap would need 64 MiB more than the worker's heap allows.
const start = `#set $s = 'ā' * ${MAX_VALUE_LENGTH}\n`;
const half = `#set $h = 'ā' * ${MAX_VALUE_LENGTH / 2 + 1}\n`;
const wide = 2 * MAX_VALUE_LENGTH;

const stringRoutes: [string, string][] = [
  ['str.replace()', `${start}$s.replace('ā', 'āā')`],
  ['str.replace() with a count', `${start}$s.replace('ā', 'āāā', ${MAX_VALUE_LENGTH})`],
  ['str.replace() of the empty string', `${half}$h.replace('', 'ā')`],
  ['str.join()', `${start}$(''.join([$s, $s]))`],
  ['str.join() by a long separator', `${half}$($h.join(['a', 'b', 'c']))`],
  ['+', `${half}$($h + $h)`],
  ['+=', `${half}#set $t = $h\n#set $t += $h\n$t`],
  ['* (str)', `${half}$($h * 2)`],
  ['* (int)', `${half}$(2 * $h)`],
  ['str.format()', `${half}$('{0}{0}'.format($h))`],
  ['str.format() width', `$('{:>${wide}}'.format(1))`],
  ['str.format() nested width', `$('{0:>{1}}'.format(1, ${wide}))`],
  ['format() width', `$format('x', '<${wide}')`],
  ['str.format() precision', `$('{:.${wide}f}'.format(1.5))`],
  ['% formatting', `${half}$('%s%s' % ($h, $h))`],
  ['% width', `$('%${wide}d' % 1)`],
  ['% * width', `$('%*s' % (${wide}, 'x'))`],
  ['% precision (float)', `$('%.${wide}f' % 1.5)`],
  ['% precision (scientific)', `$('%.${wide}e' % 1.5)`],
  ['% precision (int)', `$('%.${wide}d' % 1)`],
  ['str.ljust()', `$('x'.ljust(${wide}))`],
  ['str.rjust()', `$('x'.rjust(${wide}))`],
  ['str.center()', `$('x'.center(${wide}))`],
  ['str.zfill()', `$('1'.zfill(${wide}))`],
  ['str.upper() (ß is SS)', `#set $e = 'ß' * ${MAX_VALUE_LENGTH}\n$e.upper()`],
  ['str() of a list', `${half}$str([$h, $h])`],
  ['repr() of a str', `${start}$repr($s)`],
  // U+E0001 is unprintable and outside the BMP: repr() writes it as the ten characters \U000e0001.
  [
    'repr() of a str that escapes',
    `#set $n = '\\U000e0001' * ${Math.ceil(MAX_VALUE_LENGTH / 10) + 1}\n$repr($n)`,
  ],
  ['the output', `${half}$h$h$h$h$h$h$h$h$h`],
];

/** The string routes, in a worker whose heap is too small for any of their results. */
function renderInSmallHeap(templates: [string, string][]): Promise<RouteOutcome[]> {
  const fixture = new URL('./template-limits.fixture.ts', import.meta.url).href;
  // Node 20 does not pass `--import tsx` on to a worker, so it registers the loader itself (as the TFTP thread does).
  const worker = new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(fixture)}); });`,
    { eval: true, workerData: templates, resourceLimits: { maxOldGenerationSizeMb: 80 } },
  );
  const outcomes: RouteOutcome[] = [];
  return new Promise((resolve, reject) => {
    worker.on('message', (outcome: RouteOutcome) => outcomes.push(outcome));
    worker.on('error', (error) => {
      const next = templates[outcomes.length]?.[0];
      reject(new Error(`${String(next)}: the render built more than its heap holds (${error.message})`));
    });
    worker.on('exit', () => resolve(outcomes));
  });
}

function checkRefused(outcome: RouteOutcome): void {
  const what = `${outcome.route}: ${outcome.message ?? `rendered ${outcome.outputLength} characters`}`;
  assert.equal(outcome.code, 'E_TEMPLATE', what);
  assert.match(outcome.message ?? '', over, what);
  assert.ok(outcome.milliseconds < 5_000, `${what}, after ${Math.round(outcome.milliseconds)} ms of CPU`);
}

describe('the template value cap', () => {
  it('stops every way of building a longer string, at once, before the string is built', async () => {
    const outcomes = await renderInSmallHeap(stringRoutes);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.route),
      stringRoutes.map(([route]) => route),
    );
    for (const outcome of outcomes) checkRefused(outcome);
  });

  it('stops every way of growing a list or tuple past the cap', () => {
    const items = `#set $l = [1] * ${MAX_VALUE_LENGTH / 2 + 1}\n`;
    for (const [route, text] of [
      ['list +', `${items}$len($l + $l)`],
      ['list *', `${items}$len($l * 2)`],
      ['list.extend()', `${items}$l.extend($l)`],
      ['list +=', `${items}#set $l += $l\n`],
      ['tuple +', `#set $t = (1,) * ${MAX_VALUE_LENGTH / 2 + 1}\n$len($t + $t)`],
      ['list.append() past the cap', `#set $l = [1] * ${MAX_VALUE_LENGTH}\n$l.append(1)`],
      ['list.insert() past the cap', `#set $l = [1] * ${MAX_VALUE_LENGTH}\n$l.insert(0, 1)`],
    ]) {
      const started = performance.now();
      let outcome: RouteOutcome;
      try {
        const output = renderCheetah(
          { name: 'big.ks', text: text as string },
          {},
          {
            loadSnippet: () => undefined,
            loadInclude: () => undefined,
          },
        ).output;
        outcome = { route: route as string, outputLength: output.length, milliseconds: 0 };
      } catch (error) {
        assert.ok(error instanceof BootwrightError, `${route}: ${String(error)}`);
        outcome = { route: route as string, code: error.code, message: error.message, milliseconds: 0 };
      }
      checkRefused({ ...outcome, milliseconds: performance.now() - started });
    }
  });

  it('still builds values up to the cap, and digits of a long precision', () => {
    const host = { loadSnippet: () => undefined, loadInclude: () => undefined };
    const render = (text: string) => renderCheetah({ name: 'ok.ks', text }, {}, host).output;
    assert.equal(render(`${half}$len($h.replace('ā', 'a'))`), String(MAX_VALUE_LENGTH / 2 + 1));
    assert.equal(render(`$len('x'.ljust(${MAX_VALUE_LENGTH}))`), String(MAX_VALUE_LENGTH));
    assert.equal(render("$('%.1100f' % 0.5)").length, 1102);
    assert.equal(render("$('%.3f' % 2.0005)"), '2.001');
    assert.equal(render("$('{:.1200e}'.format(1.5))").slice(0, 6), '1.5000');
    assert.equal(render("$('{:.1200e}'.format(1.5))").slice(-4), 'e+00');
    assert.equal(render('$round(2.5, 2000000000)'), '2.5');
  });
});
