// Hostile Jinja templates (as ../hostile-input.test.ts for Cheetah): random templates built from Jinja's own pieces
// render or fail with E_TEMPLATE, quickly and never with a JavaScript error; Python's attribute tricks reach
// nothing; includes stay inside the roots; huge values, self-including snippets and runaway macros are stopped with
// a sentence. `npm run test:long` tries 50,000 random templates.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { reportCount, scaled } from '../../../test/support/long-mode.js';
import { tempDir } from '../../../test/support/temp-dir.js';
import { BootwrightError } from '../../errors.js';
import { TemplateLibrary } from '../library.js';
import { renderJinja } from './index.js';

const runs = scaled(1_500, 50_000);

const piece = fc.oneof(
  fc.constantFrom(
    '{{ hostname }}',
    '{{ interfaces.eth0.mac_address }}',
    '{{ interfaces.nope.mac_address }}',
    '{{ nope }}',
    '{{ nope | default("x") }}',
    '{% if hostname == "vm9" %}',
    '{% elif true %}',
    '{% else %}',
    '{% endif %}',
    '{% for i in range(3) %}',
    '{% for k, v in interfaces | dictsort %}',
    '{% endfor %}',
    '{{ loop.index }}',
    '{% set x = [1, 2, 3] %}',
    '{% set y = "ab" * 3 %}',
    '{% set ns = namespace(n=0) %}',
    '{% set ns.n = ns.n + 1 %}',
    '{% include "net" %}',
    '{% include "missing" %}',
    '{% include "self" %}',
    '{% import "net" as net %}',
    '{% raw %}',
    '{% endraw %}',
    '{# ',
    ' #}',
    '{%- ',
    ' -%}',
    '{% macro f(a) %}{{ a }}',
    '{% endmacro %}',
    '{{ f(1) }}',
    '{{ x.append(4) }}',
    '{{ x | length }}',
    '{{ 1 / 0 }}',
    '{{ 10 ** 400 }}',
    '{{ "x" * 100 }}',
    '{{ range(5) | list }}',
    '{{ x | map("upper") | join }}',
    '{{ "%s %d" % (1, 2) }}',
    '{{ "{}".format(hostname) }}',
    '{% filter upper %}',
    '{% endfilter %}',
    '{% with a = 1 %}',
    '{% endwith %}',
    '{% call f() %}',
    '{% endcall %}',
    '{% extends "x" %}',
    '{% extends "net" %}',
    '{% block b %}',
    '{% endblock %}',
    '{{ super() }}',
    '{{',
    '}}',
    '{%',
    '%}',
    '(',
    ')',
    '[',
    '"',
    "'",
    '|',
    '\n',
  ),
  fc.string({ maxLength: 12 }),
);

const variables = {
  hostname: 'vm9',
  interfaces: { eth0: { mac_address: '52:54:00:12:34:56' } },
};

function site(t: TestContext): TemplateLibrary {
  const dataDir = tempDir(t);
  mkdirSync(join(dataDir, 'snippets'), { recursive: true });
  writeFileSync(join(dataDir, 'snippets', 'net'), 'network --hostname={{ hostname }}\n');
  writeFileSync(join(dataDir, 'snippets', 'self'), 'again {% include "self" %}\n');
  writeFileSync(join(dataDir, 'snippets', 'self_parent'), '{% extends "self_parent" %}\n');
  return new TemplateLibrary(dataDir);
}

function render(library: TemplateLibrary, body: string): string {
  return renderJinja('fuzz.ks', `#template=jinja2\n${body}`, structuredClone(variables), library, {}, false)
    .text;
}

function isTemplateError(error: unknown): boolean {
  return error instanceof BootwrightError && error.code === 'E_TEMPLATE';
}

describe('hostile Jinja templates', () => {
  it(`renders or refuses ${runs.toLocaleString('en-US')} random templates with E_TEMPLATE, each within a second`, (t) => {
    const library = site(t);
    const outcome = { rendered: 0, refused: 0 };
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 25 }), (pieces) => {
        const text = pieces.join('');
        const started = performance.now();
        try {
          assert.equal(typeof render(library, text), 'string');
          outcome.rendered += 1;
        } catch (error) {
          assert.ok(
            isTemplateError(error),
            `${JSON.stringify(text)}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
          );
          outcome.refused += 1;
        }
        assert.ok(performance.now() - started < 1_000, `${JSON.stringify(text)} took over a second`);
      }),
      { numRuns: runs },
    );
    assert.ok(outcome.rendered > runs / 10 && outcome.refused > runs / 10, JSON.stringify(outcome));
    reportCount('templates/jinja/hostile-input', 'random Jinja templates rendered or refused', runs);
  });

  it("runs no code: Python's dunder attributes and the usual sandbox escapes give nothing", (t) => {
    const library = site(t);
    for (const text of [
      "{{ ''.__class__.__mro__[1].__subclasses__() }}",
      '{{ hostname.__class__ }}',
      '{{ cycler.__init__.__globals__.os.popen("id").read() }}',
      '{{ self.__init__.__globals__ }}',
      '{{ lipsum.__globals__ }}',
      '{{ range.__self__ }}',
      '{{ config }}{{ request }}{{ self }}{{ os }}',
      '{{ joiner.__init__.__globals__ }}',
      '{{ namespace.__init__ }}',
    ]) {
      let output = '';
      try {
        output = render(library, text);
      } catch (error) {
        assert.ok(isTemplateError(error), `${text}: ${String(error)}`);
      }
      assert.doesNotMatch(
        output,
        /uid=|<class|<module|function|built-?in|object at/i,
        `${text} gave ${output}`,
      );
    }
  });

  it('stops huge values, runaway macros and self-including snippets with a sentence, at once', (t) => {
    const library = site(t);
    for (const [text, mention] of [
      ['{{ "x" * 10**9 }}', /over the 16777216/],
      [
        '{% set ns = namespace(s="ab") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}',
        /over the/,
      ],
      ['{% for i in range(10**9) %}{% endfor %}', /range\(\) of 1000000000 numbers/],
      [
        '{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}',
        /over 10000000 turns/,
      ],
      ['{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}', /macros call each other more than 200 deep/],
      ['{% include "self" %}', /include or extend each other more than 32 deep/],
      ['{% extends "self_parent" %}', /include or extend each other more than 32 deep/],
      ['{% include "../../../../etc/passwd" %}', /passwd/],
      ['{% include "/etc/passwd" %}', /passwd/],
    ] as const) {
      // CPU time, not wall time: the point is that the renderer gives up early, which other processes on a busy
      // machine must not blur.
      const started = process.cpuUsage();
      assert.throws(
        () => render(library, text),
        (error: unknown) =>
          error instanceof BootwrightError && /^E_/.test(error.code) && mention.test(error.message),
        text,
      );
      const used = process.cpuUsage(started);
      const cpuMs = (used.user + used.system) / 1000;
      assert.ok(cpuMs < 5_000, `${text} took ${cpuMs.toFixed(0)} ms of CPU`);
    }
  });
});
