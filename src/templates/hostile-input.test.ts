// Hostile templates (issue 10). Templates are data from whoever may edit them, so the engine must run no code, read
// no file outside the template and snippet roots, and neither hang nor grow without bound. Random templates built
// from Cheetah's own pieces render or fail with E_TEMPLATE, quickly; the known escapes (imports, Python builtins,
// includes and snippets leading out of the roots, huge repetitions and endless loops) are each refused.
// `npm run test:long` tries 50,000 random templates.

import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { reportCount, scaled } from '../../test/support/long-mode.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { BootwrightError } from '../errors.js';
import { renderCheetah, type TemplateHost } from './cheetah/index.js';
import { TemplateLibrary } from './library.js';

const runs = scaled(1_500, 50_000);
const SECRET = 'secret-outside-the-roots';

const host: TemplateHost = {
  loadSnippet: (name) =>
    name === 'net' ? { name: 'snippets/net', text: 'network --hostname=$hostname\n' } : undefined,
  loadInclude: () => undefined,
};

const piece = fc.oneof(
  fc.constantFrom(
    '$hostname',
    '${hostname}',
    '$getVar("nope", "default")',
    '$interfaces.eth0.mac_address',
    '#if $hostname == "vm9"\n',
    '#else\n',
    '#end if\n',
    '#for $i in range(3)\n',
    '#for $k, $v in $interfaces.items()\n',
    '#end for\n',
    '#set $x = [1, 2, 3]\n',
    '#set $y = "ab" * 3\n',
    '$SNIPPET("net")',
    '$SNIPPET("missing")',
    '#include "x.ks"\n',
    '#raw\n',
    '#end raw\n',
    '#*',
    '*#',
    '##',
    '#def f($a)\n$a\n#end def\n',
    '$f(1)',
    '#silent $x.append(4)\n',
    '$len($x)',
    '$(1 / 0)',
    '$(10 ** 400)',
    "$('x' * 100)",
    '$str(range(5))',
    '[$i for $i in range(3)]',
    '#stop\n',
    '#break\n',
    '#continue\n',
    '\\$hostname',
    '#errorCatcher Echo\n',
    '#import os\n',
    '#from os import path\n',
    '#extends Foo\n',
    '#while True\n',
    '#attr $x = 1\n',
    '#compiler-settings\n',
    '#end compiler-settings\n',
    '$(',
    ')',
    '${',
    '}',
    '"',
    "'",
    '#',
    '$',
    '\n',
  ),
  fc.string({ maxLength: 12 }),
);

const variables = {
  hostname: 'vm9',
  interfaces: { eth0: { mac_address: '52:54:00:12:34:56' } },
};

function renderOrRefuse(text: string): 'rendered' | 'refused' {
  try {
    const result = renderCheetah({ name: 'fuzz.ks', text }, variables, host);
    assert.equal(typeof result.output, 'string');
    return 'rendered';
  } catch (error) {
    assert.ok(
      error instanceof BootwrightError && error.code === 'E_TEMPLATE',
      `${JSON.stringify(text)}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return 'refused';
  }
}

describe('hostile templates', () => {
  it(`renders or refuses ${runs.toLocaleString('en-US')} random templates with E_TEMPLATE, each within a second`, () => {
    const outcome = { rendered: 0, refused: 0 };
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 25 }), (pieces) => {
        const text = pieces.join('');
        const started = performance.now();
        outcome[renderOrRefuse(text)] += 1;
        assert.ok(performance.now() - started < 1_000, `${JSON.stringify(text)} took over a second`);
      }),
      { numRuns: runs },
    );
    assert.ok(outcome.rendered > runs / 10 && outcome.refused > runs / 10, JSON.stringify(outcome));
    reportCount('templates/hostile-input', 'random templates rendered or refused', runs);
  });

  it('runs no code: imports, Python builtins and attribute tricks do nothing', () => {
    for (const text of [
      '#import os\n$os.system("touch /tmp/bootwright-pwned")',
      '#from subprocess import call\n',
      '#extends Cheetah.Template\n',
      '$__import__("os").system("id")',
      '$().__class__.__bases__[0].__subclasses__()',
      '$eval("1+1")',
      '$exec("import os")',
      '$open("/etc/passwd").read()',
      '$getattr($hostname, "__class__")',
      '$hostname.__class__.__mro__',
      '#set $f = $globals()\n$f',
    ]) {
      let output = '';
      try {
        output = renderCheetah({ name: 'evil.ks', text }, variables, host).output;
      } catch (error) {
        assert.ok(
          error instanceof BootwrightError && error.code === 'E_TEMPLATE',
          `${text}: ${String(error)}`,
        );
      }
      assert.doesNotMatch(output, /root:|uid=|<class|<module|function|built-?in/i, `${text} gave ${output}`);
    }
  });

  it('stops huge values and endless loops with a sentence, at once', () => {
    for (const [text, mention] of [
      ["$('x' * 10**9)", /over the 16777216/],
      ["#set $s = 'ab'\n#for $i in range(40)\n#set $s = $s + $s\n#end for\n$len($s)", /over the 16777216/],
      ['$("x".ljust(10**9))', /over the 16777216/],
      ['#for $i in range(10**9)\n#end for\n', /range\(\) of 1000000000 numbers/],
      [
        '#for $i in range(10000)\n#for $j in range(10000)\n#end for\n#end for\n',
        /loops ran more than 10000000 times/,
      ],
      ['$len([0 for $i in range(5000) for $j in range(5000)])', /loops ran more than 10000000 times/],
      ['#def f($n)\n$f($n)\n#end def\n$f(1)', /calls itself more than/],
    ] as const) {
      // CPU time, not wall time: the point is that the renderer gives up early, which other processes on a busy
      // machine must not blur.
      const started = process.cpuUsage();
      assert.throws(
        () => renderCheetah({ name: 'big.ks', text }, variables, host),
        (error: unknown) =>
          error instanceof BootwrightError && error.code === 'E_TEMPLATE' && mention.test(error.message),
        text,
      );
      const used = process.cpuUsage(started);
      const cpuMs = (used.user + used.system) / 1000;
      assert.ok(cpuMs < 5_000, `${JSON.stringify(text)} took ${cpuMs.toFixed(0)} ms of CPU`);
    }
  });

  it('reads nothing outside the template and snippet roots, by name, by .. or by symlink', (t) => {
    const dataDir = tempDir(t);
    const outside = tempDir(t);
    writeFileSync(join(outside, 'passwd'), SECRET);
    mkdirSync(join(dataDir, 'templates'), { recursive: true });
    mkdirSync(join(dataDir, 'snippets'), { recursive: true });
    symlinkSync(join(outside, 'passwd'), join(dataDir, 'snippets', 'leak'));
    symlinkSync(join(outside, 'passwd'), join(dataDir, 'templates', 'leak.ks'));
    const library = new TemplateLibrary(dataDir);
    const names = [
      '../../../../etc/passwd',
      '/etc/passwd',
      join(outside, 'passwd'),
      'leak',
      '..',
      'a/../../x',
    ];
    for (const name of names) {
      let read = '';
      try {
        read = library.snippet(name, {})?.text ?? '';
      } catch (error) {
        assert.ok(error instanceof BootwrightError, `snippet ${name}: ${String(error)}`);
      }
      assert.doesNotMatch(read, new RegExp(SECRET), `snippet ${name} leaked`);
      try {
        read = library.template(name).text;
      } catch (error) {
        assert.ok(error instanceof BootwrightError, `template ${name}: ${String(error)}`);
      }
      assert.doesNotMatch(read, new RegExp(SECRET), `template ${name} leaked`);
    }
    assert.throws(() => library.template('leak.ks'), /points outside/);
  });
});
