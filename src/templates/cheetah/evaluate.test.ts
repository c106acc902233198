import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../../errors.js';
import { MissingSnippetError, type RenderOptions, renderCheetah, type TemplateHost } from './index.js';

function hostWith(
  snippets: Record<string, string> = {},
  includes: Record<string, string> = {},
): TemplateHost {
  return {
    loadSnippet: (name) =>
      Object.hasOwn(snippets, name)
        ? { name: `snippets/${name}`, text: snippets[name] as string }
        : undefined,
    loadInclude: (path) =>
      Object.hasOwn(includes, path) ? { name: path, text: includes[path] as string } : undefined,
  };
}

function render(
  text: string,
  variables: Record<string, unknown> = {},
  host = hostWith(),
  options?: RenderOptions,
) {
  return renderCheetah({ name: 'default.ks', text }, variables, host, options);
}

const strict: RenderOptions = { undefinedVariables: 'error' };

function assertFails(fn: () => unknown, message: RegExp): BootwrightError {
  let caught: unknown;
  assert.throws(fn, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof BootwrightError, `expected a BootwrightError, got ${String(caught)}`);
  assert.equal(caught.code, 'E_TEMPLATE');
  assert.match(caught.message, message);
  return caught;
}

describe("undefined variables in verbatim mode (Cobbler's #errorCatcher ListErrors)", () => {
  it('writes the placeholder as it stands and records a problem with its position', () => {
    const result = render('url --url=$tree\nnet ${ip} $iface.mac_address end\n', { iface: {} });
    assert.equal(result.output, 'url --url=$tree\nnet ${ip} $iface.mac_address end\n');
    assert.deepEqual(
      result.problems.map((problem) => [problem.file, problem.line, problem.column]),
      [
        ['default.ks', 1, 11],
        ['default.ks', 2, 5],
        ['default.ks', 2, 11],
      ],
    );
    assert.equal(
      result.problems[0]?.message,
      '"$tree" was left as written: the variable "tree" is not defined',
    );
    assert.equal(
      result.problems[2]?.message,
      '"$iface.mac_address" was left as written: "$iface" has no key or attribute "mac_address"',
    );
  });

  it('is the default', () => {
    assert.equal(renderCheetah({ name: 'x', text: '$nope' }, {}, hostWith()).output, '$nope');
  });

  it("records problems in a snippet under the snippet's file name", () => {
    const result = render("a\n$SNIPPET('net')", {}, hostWith({ net: 'network $device\n' }));
    assert.equal(result.output, 'a\nnetwork $device\n');
    assert.deepEqual(result.problems, [
      {
        file: 'snippets/net',
        line: 1,
        column: 9,
        message: '"$device" was left as written: the variable "device" is not defined',
      },
    ]);
  });

  it('writes out a whole #def call whose body meets an undefined variable, saying where', () => {
    const result = render('#def f\n$inner\n#end def\nx $f() y\n');
    assert.equal(result.output, 'x $f() y\n');
    assert.match(
      result.problems[0]?.message ?? '',
      /^"\$f\(\)" was left as written: the variable "inner" is not defined \(at default\.ks:2:1\)$/,
    );
  });

  it('still fails on an undefined variable in a directive, as Cobbler does', () => {
    assertFails(
      () => render('ok\n#if $missing\nx\n#end if\n'),
      /^default\.ks:2:5: the variable "missing" is not defined$/,
    );
  });
});

describe('undefined variables in error mode', () => {
  it('fails at the placeholder', () => {
    assertFails(
      () => render('line\n  url --url=$tree\n', {}, hostWith(), strict),
      /^default\.ks:2:13: the variable "tree" is not defined$/,
    );
  });

  it('fails on a missing key with the path that was looked up', () => {
    assertFails(
      () => render('$interfaces.eth9.mac_address', { interfaces: { eth0: {} } }, hostWith(), strict),
      /^default\.ks:1:1: "\$interfaces" has no key or attribute "eth9"$/,
    );
  });

  it('still honours $!silent placeholders and #errorCatcher in the template', () => {
    const result = render('[$!nope]\n#errorCatcher Echo\n$nope2\n', {}, hostWith(), strict);
    assert.equal(result.output, '[]\n$nope2\n');
    assert.equal(result.problems.length, 1);
  });
});

describe('snippets', () => {
  it('throws MissingSnippetError naming the snippet and the call site', () => {
    const error = assertFails(
      () => render("one\n  $SNIPPET('base_install')\n"),
      /^default\.ks:2:3: snippet "base_install" not found$/,
    );
    assert.ok(error instanceof MissingSnippetError);
    assert.equal(error.snippet, 'base_install');
    assert.deepEqual([error.file, error.line, error.column], ['default.ks', 2, 3]);
  });

  it('reports a missing snippet inside a snippet at the inner call site, also for SNIPPET::name', () => {
    const error = assertFails(
      () => render('SNIPPET::outer', {}, hostWith({ outer: 'x\n  SNIPPET::inner_one\n' })),
      /^snippets\/outer:2:3: snippet "inner_one" not found$/,
    );
    assert.ok(error instanceof MissingSnippetError);
    assert.equal(error.snippet, 'inner_one');
  });

  it('stops a snippet that includes itself after 32 levels', () => {
    assertFails(
      () => render("$SNIPPET('loop')", {}, hostWith({ loop: "again $SNIPPET('loop')" })),
      /^snippets\/loop:1:7: the snippet "loop" is nested more than 32 levels deep, so it probably includes itself \(RecursionError\)$/,
    );
  });

  it('stops snippets that include each other', () => {
    assertFails(
      () => render("$SNIPPET('a')", {}, hostWith({ a: 'SNIPPET::b', b: 'SNIPPET::a' })),
      /nested more than 32 levels deep/,
    );
  });

  it('lets #set global cross into and out of snippets, but not #set', () => {
    const snippets = {
      s: '#set global $from_snippet = 1\n#set $local_to_snippet = 2\n[$shared][$caller_local]\n',
    };
    const result = render(
      "#set global $shared = 'g'\n#set $caller_local = 'l'\n$SNIPPET('s')$from_snippet $local_to_snippet\n",
      {},
      hostWith(snippets),
    );
    assert.equal(result.output, '[g][$caller_local]\n1 $local_to_snippet\n');
  });
});

describe('#include', () => {
  it('fails on a missing file at the directive', () => {
    assertFails(
      () => render('a\n#include "parts/disk.ks"\n'),
      /^default\.ks:2:1: the included file "parts\/disk\.ks" was not found \(IOError\)$/,
    );
  });

  it('stops a file that includes itself', () => {
    assertFails(
      () => render('#include "self.ks"', {}, hostWith({}, { 'self.ks': 'x\n#include "self.ks"\n' })),
      /^self\.ks:2:1: the include "self\.ks" is nested more than 32 levels deep/,
    );
  });

  it('includes raw files untouched, with their line endings made \\n like every template', () => {
    const result = render('#include raw "notes.txt"', {}, hostWith({}, { 'notes.txt': '$x #if\r\nend\r\n' }));
    assert.equal(result.output, '$x #if\nend\n');
  });
});

describe('runtime errors', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'x\n  ${name + 1}',
      { name: 'web' },
      /^default\.ks:2:10: can only concatenate str \(not "int"\) to str \(TypeError\)$/,
    ],
    ['$disks[3]', { disks: ['sda'] }, /^default\.ks:1:1: list index out of range \(IndexError\)$/],
    ["$meta['tree']", { meta: {} }, /^default\.ks:1:1: key 'tree' is not in the dict \(KeyError\)$/],
    ['${1 / 0}', {}, /^default\.ks:1:5: division by zero \(ZeroDivisionError\)$/],
    ['$name()', { name: 'web' }, /^default\.ks:1:1: 'str' object is not callable \(TypeError\)$/],
    [
      '#set $y = hostname\n',
      {},
      /^default\.ks:1:11: name 'hostname' is not defined \(write \$hostname for a template variable\) \(NameError\)$/,
    ],
    [
      '#for $a, $b in $pairs\n#end for\n',
      { pairs: [[1, 2, 3]] },
      /^default\.ks:1:1: too many values to unpack \(expected 2\) \(ValueError\)$/,
    ],
    [
      "${int('ten')}",
      {},
      /^default\.ks:1:3: invalid literal for int\(\) with base 10: 'ten' \(ValueError\)$/,
    ],
    [
      '${$a < $b}',
      { a: 'x', b: 1 },
      /^default\.ks:1:6: '<' not supported between instances of 'str' and 'int' \(TypeError\)$/,
    ],
  ];
  for (const [text, variables, message] of cases) {
    it(JSON.stringify(text), () => {
      assertFails(() => render(text, variables), message);
    });
  }

  it('stops a #def that calls itself forever', () => {
    assertFails(
      () => render('#def f\n$f\n#end def\n$f\n'),
      /^default\.ks:2:1: #def f calls itself more than 200 levels deep \(RecursionError\)$/,
    );
  });
});

describe('values', () => {
  it('reads JavaScript values as Python: integral numbers are ints, null is None, objects are dicts', () => {
    const result = render('$n $f $t $none [$none] ${str($none)} $list $dict ${7 / 7}', {
      n: 5,
      f: 2.5,
      t: true,
      none: null,
      list: ['a', 1, null, false],
      dict: { a: 1, b: [2] },
    });
    assert.equal(result.output, "5 2.5 True  [] None ['a', 1, None, False] {'a': 1, 'b': [2]} 1.0");
  });

  it("keeps Python 2's dict.has_key(), which years of Cobbler snippets call", () => {
    assert.equal(
      render("#if $d.has_key('a') and not $d.has_key('b')\nyes\n#end if\n", { d: { a: 1 } }).output,
      'yes\n',
    );
  });

  it('does not carry #set global from one render into the next', () => {
    const text = '#if $varExists("seen")\nseen\n#end if\n#set global $seen = 1\n';
    assert.equal(render(text).output, '');
    assert.equal(render(text).output, '');
  });

  it('renders the same parsed template for many systems', () => {
    const text = '#for $name, $i in sorted($interfaces.items())\n$name=$i.mac\n#end for\n';
    for (let n = 0; n < 20; n++) {
      const mac = `52:54:00:00:00:${n.toString(16).padStart(2, '0')}`;
      assert.equal(render(text, { interfaces: { eth0: { mac } } }).output, `eth0=${mac}\n`);
    }
  });
});

describe('parsed templates are reused only while their text is unchanged', () => {
  it('renders an edited template and an edited snippet of the same name on the next render', () => {
    const first = renderCheetah(
      { name: 'edited.ks', text: 'a $SNIPPET("part")' },
      {},
      hostWith({ part: 'one' }),
    );
    assert.equal(first.output, 'a one');
    const edited = renderCheetah(
      { name: 'edited.ks', text: 'b $SNIPPET("part")' },
      {},
      hostWith({ part: 'two' }),
    );
    assert.equal(edited.output, 'b two');
  });

  it('gives getVar its fallback for a missing name, and the value once it is set', () => {
    assert.equal(render("$getVar('zone', 'UTC') $varExists('zone')").output, 'UTC False');
    assert.equal(render("$getVar('zone', 'UTC') $varExists('zone')", { zone: 'CET' }).output, 'CET True');
    assert.throws(() => render("$getVar('zone')", {}, hostWith(), strict), /zone/);
  });
});
