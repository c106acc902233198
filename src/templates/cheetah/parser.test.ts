import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../../errors.js';
import { parseCheetah, renderCheetah, type TemplateHost } from './index.js';

const noFiles: TemplateHost = { loadSnippet: () => undefined, loadInclude: () => undefined };

function parse(text: string, name = 'default.ks'): unknown {
  return parseCheetah({ name, text });
}

/** The template is refused with E_TEMPLATE and a message that matches `message` (which should hold the position). */
function assertRefused(text: string, message: RegExp): void {
  assert.throws(
    () => parse(text),
    (error: unknown) => {
      assert.ok(error instanceof BootwrightError, `expected a BootwrightError, got ${String(error)}`);
      assert.equal(error.code, 'E_TEMPLATE');
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('parseCheetah refuses what would run code', () => {
  it('refuses #import with its position', () => {
    assertRefused(
      'text\n  #import os\n',
      /^default\.ks:2:3: the "#import" directive is not supported because bootwright templates cannot run Python code$/,
    );
  });

  it('refuses the other code-running directives', () => {
    for (const [text, name] of [
      ['#from os import path', '#from'],
      ['#extends Base', '#extends'],
      ['#compiler-settings\nuseNameMapper=False\n#end compiler-settings', '#compiler-settings'],
      ['#attr $x = 1', '#attr'],
      ['#block body\n#end block', '#block'],
      ['#@staticmethod\n#def f\n#end def', '#@'],
    ]) {
      assertRefused(
        text as string,
        new RegExp(`^default\\.ks:1:1: the "${name}" directive is not supported because`),
      );
    }
  });

  it('refuses <% %> Python blocks', () => {
    assertRefused(
      'echo <% import os %>',
      /^default\.ks:1:6: Python code blocks \(<% \.\.\. %>\) are not supported/,
    );
  });

  it('refuses directives it does not implement instead of ignoring them', () => {
    for (const name of ['while', 'try', 'cache', 'repeat', 'capture']) {
      assertRefused(
        `ok\n#${name} $x\n`,
        new RegExp(`^default\\.ks:2:1: the "#${name}" directive is not supported by bootwright$`),
      );
    }
  });
});

describe('parseCheetah reports syntax errors where they are', () => {
  const cases: [string, RegExp][] = [
    ['#if 1\n#end frobnicate\n', /^default\.ks:2:1: unknown directive "#end frobnicate"$/],
    ['#end\n', /^default\.ks:1:1: #end must name the directive it closes/],
    ['x\n#else\n', /^default\.ks:2:1: #else is not inside an #if block$/],
    [
      '#if $a\n#for $x in $l\n#end if\n',
      /^default\.ks:3:1: "#end if" does not match the #for at default\.ks:2:1$/,
    ],
    ['#end for\n', /^default\.ks:1:1: "#end for" has no open #for to close$/],
    ['a\n  #if $a\nb\n', /^default\.ks:2:3: #if is never closed with #end if$/],
    ['#raw\n$x\n', /^default\.ks:2:1: #raw is never closed with #end raw$/],
    ['a #* forever', /^default\.ks:1:3: this "#\*" comment is never closed with "\*#"$/],
    ['#if $x ==\nyes\n#end if\n', /^default\.ks:1:10: expected an expression but found the end of the line$/],
    ['#set $x\n', /^default\.ks:1:8: expected "=" in #set but found the end of the line$/],
    [
      '#set $a.b = 1\n',
      /^default\.ks:1:6: #set can assign a variable or an item such as \$d\['key'\], not "\$a\.b"$/,
    ],
    ['#break\n', /^default\.ks:1:1: #break is only allowed inside a #for loop$/],
    ['#if 1\n#def f\n#end def\n#end if\n', /^default\.ks:2:1: #def is only allowed at the top level/],
    ['#set $x = (1, 2\n', /^default\.ks:1:11: the "\(" is never closed/],
    ['#set $x = [1, 2)\n', /^default\.ks:1:16: unexpected "\)": the "\[" at default\.ks:1:11 is still open$/],
    ['#set $x = 1 ! 2\n', /^default\.ks:1:13: unexpected character "!" in an expression$/],
    ['#set $x = "open\n', /^default\.ks:1:11: this string is never closed on its line$/],
    ['#set $x = lambda y: y\n', /^default\.ks:1:11: lambda expressions are not supported$/],
    ["#set $x = f'{y}'\n", /^default\.ks:1:11: f-strings are not supported/],
    ['#set $x = ${y}\n', /^default\.ks:1:11: a placeholder written "\$\{\.\.\.\}" is only valid in text/],
    ['a $*cached b\n', /^default\.ks:1:3: cached placeholders \(\$\*name\) are not supported/],
    ['${name, maxlen=3}\n', /^default\.ks:1:7: placeholder filter arguments .* are not supported$/],
    [
      "#if $x then 'a' else 'b'\n",
      /^default\.ks:1:8: the one-line "#if \.\.\. then \.\.\. else \.\.\." form is not supported$/,
    ],
    ['#errorCatcher BigEcho\n', /^default\.ks:1:1: "#errorCatcher BigEcho" is not supported/],
    ['#include source=$text\n', /^default\.ks:1:10: "#include source=" is not supported/],
    ['#set $x = 012\n', /^default\.ks:1:11: leading zeros are not allowed in the number 012/],
  ];
  for (const [text, message] of cases) {
    it(`${JSON.stringify(text)} -> ${message.source.replace(/\\/g, '').slice(0, 60)}`, () =>
      assertRefused(text, message));
  }

  it('reports columns in the file as written, through the SNIPPET:: rewriting', () => {
    // SNIPPET::abc becomes $SNIPPET('abc') (3 characters longer) before parsing; the column stays the user's (it would be 39).
    assertRefused('SNIPPET::abc SNIPPET::de #set $x\n', /^default\.ks:1:33: expected "="/);
  });

  it('counts \\r\\n and \\r as line endings', () => {
    assertRefused('a\r\nb\r\n#end if\r\n', /^default\.ks:3:1: "#end if" has no open #if/);
    assertRefused('a\rb\r#end if\r', /^default\.ks:3:1: "#end if" has no open #if/);
  });
});

describe('parseCheetah', () => {
  it('parses a template once and then reuses the parse', () => {
    const text = '#for $i in $l\n$i\n#end for\n';
    assert.equal(parse(text), parse(text));
    assert.notEqual(parse(text, 'a.ks'), parse(text, 'b.ks'));
  });

  it('leaves a #word that is no directive as text, as Cheetah does, so commented-out kickstart lines survive', () => {
    const text = '#platform=x86_64\n#reboot\n#network --bootproto=dhcp\n#endif\n';
    assert.equal(renderCheetah({ name: 'default.ks', text }, {}, noFiles).output, text);
  });
});
