import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { editKvDictInPlace, kvToString, mergeKvDicts, parseKvString, shellSplit, toKvDict } from './kv.js';

function assertInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof BootwrightError);
    assert.equal(error.code, 'E_INVALID');
    assert.match(error.message, message);
    return true;
  });
}

describe('shellSplit', () => {
  it('splits on runs of whitespace and drops leading and trailing blanks', () => {
    assert.deepEqual(shellSplit('  console=ttyS0,115200\tquiet \n rhgb  '), [
      'console=ttyS0,115200',
      'quiet',
      'rhgb',
    ]);
    assert.deepEqual(shellSplit(''), []);
    assert.deepEqual(shellSplit('   '), []);
  });

  it('keeps quoted spaces and joins adjacent quoted parts into one word', () => {
    assert.deepEqual(shellSplit(`a="b c" 'd e' f'g h'i`), ['a=b c', 'd e', 'fg hi']);
  });

  it('treats backslashes literally inside single quotes and as escapes elsewhere', () => {
    assert.deepEqual(shellSplit(String.raw`'a\b' "c\"d" e\ f "g\h"`), [
      String.raw`a\b`,
      'c"d',
      'e f',
      String.raw`g\h`,
    ]);
  });

  it('keeps an empty quoted word', () => {
    assert.deepEqual(shellSplit(`a '' b ""`), ['a', '', 'b', '']);
  });

  it('refuses an unclosed quote and quotes the input', () => {
    assertInvalid(
      () => shellSplit(`ks="http://x`),
      /Cannot parse "ks=\\"http:\/\/x": a " quote is not closed/,
    );
    assertInvalid(() => shellSplit(`a 'b`), /a ' quote is not closed/);
  });
});

describe('parseKvString', () => {
  it('parses key=value pairs and bare keys, which have the value null', () => {
    assert.deepEqual(parseKvString('console=ttyS0,115200 quiet ip=dhcp'), {
      console: 'ttyS0,115200',
      quiet: null,
      ip: 'dhcp',
    });
  });

  it('splits on the first = only and allows an empty value', () => {
    assert.deepEqual(parseKvString('ks=http://h/ks?a=b empty='), { ks: 'http://h/ks?a=b', empty: '' });
  });

  it('collects a repeated key into a list in the order given', () => {
    assert.deepEqual(parseKvString('console=tty0 quiet console=ttyS0 console=ttyS1'), {
      console: ['tty0', 'ttyS0', 'ttyS1'],
      quiet: null,
    });
  });

  it('keeps !key as a removal marker for inheritance', () => {
    const dict = parseKvString('!rhgb foo=1');
    assert.deepEqual(dict, { '!rhgb': null, foo: '1' });
  });

  it('honours shell quoting in values', () => {
    assert.deepEqual(parseKvString(`motd="hello world" 'x=it''s'`), { motd: 'hello world', x: 'its' });
  });

  it('refuses a word with an empty key', () => {
    assertInvalid(() => parseKvString('a=1 =2'), /Cannot parse "=2" in "a=1 =2"/);
  });
});

describe('toKvDict', () => {
  it('accepts text, an object or nothing', () => {
    assert.deepEqual(toKvDict('a=1 b', 'x'), { a: '1', b: null });
    assert.deepEqual(toKvDict({ a: 1, b: null, c: '~', d: ['x', 2] }, 'x'), {
      a: '1',
      b: null,
      c: null,
      d: ['x', '2'],
    });
    assert.deepEqual(toKvDict(undefined, 'x'), {});
    assert.deepEqual(toKvDict('', 'x'), {});
  });

  it('refuses lists and nested objects, naming the field', () => {
    assertInvalid(() => toKvDict(['a=1'], '--kernel-options'), /^--kernel-options must be/);
    assertInvalid(
      () => toKvDict({ a: { b: 1 } }, '--autoinstall-meta'),
      /--autoinstall-meta: the value of "a"/,
    );
  });
});

describe('kvToString', () => {
  it('writes bare keys, pairs and repeated keys', () => {
    assert.equal(
      kvToString({ console: ['tty0', 'ttyS0'], quiet: null, ip: 'dhcp' }),
      'console=tty0 console=ttyS0 quiet ip=dhcp',
    );
    assert.equal(kvToString({}), '');
  });

  it('quotes words with spaces or quotes so that they parse back to the same dictionary', () => {
    const dict = {
      motd: 'hello world',
      quote: `it's "here"`,
      back: String.raw`a\b`,
      empty: '',
      plain: 'x=y',
      bare: null,
      list: ['one two', 'three'],
    };
    const text = kvToString(dict);
    assert.match(text, /'motd=hello world'/);
    assert.deepEqual(parseKvString(text), dict);
  });
});

describe('mergeKvDicts', () => {
  it('lets the child win per key and keeps the parent keys it does not mention', () => {
    assert.deepEqual(mergeKvDicts({ a: '1', b: '2' }, { b: '3', c: null }), { a: '1', b: '3', c: null });
  });

  it('removes a key the parent gave when the child says !key, and drops the marker', () => {
    const merged = mergeKvDicts({ quiet: null, rhgb: null, a: '1' }, { '!rhgb': null, '!absent': null });
    assert.deepEqual(merged, { quiet: null, a: '1' });
  });

  it('lets a lower level add a removed key back', () => {
    const middle = mergeKvDicts({ rhgb: null, a: '1' }, { '!rhgb': null });
    assert.deepEqual(mergeKvDicts(middle, { rhgb: 'yes' }), { a: '1', rhgb: 'yes' });
  });

  it('does not change its inputs', () => {
    const parent = { a: '1' };
    mergeKvDicts(parent, { '!a': null });
    assert.deepEqual(parent, { a: '1' });
  });
});

describe('editKvDictInPlace', () => {
  it('changes only the given keys and deletes ~key outright', () => {
    const existing = parseKvString('a=1 b=2 c');
    const edited = editKvDictInPlace(existing, parseKvString('b=20 ~c d=4'));
    assert.deepEqual(edited, { a: '1', b: '20', d: '4' });
    assert.deepEqual(existing, { a: '1', b: '2', c: null }, 'the input is left alone');
  });

  it('keeps !key markers, which are about inheritance and not about this dictionary', () => {
    assert.deepEqual(editKvDictInPlace({ a: '1' }, { '!rhgb': null }), { a: '1', '!rhgb': null });
  });
});
