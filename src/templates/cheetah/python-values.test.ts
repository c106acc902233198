// Python's own answers, checked against CPython 3.11; the golden corpus checks the same rules through templates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentFormat, strFormat } from './python-format.js';
import {
  floatRepr,
  newDict,
  PyError,
  PyFloat,
  PyTuple,
  pyBinary,
  pyEquals,
  pyOrder,
  pyRepr,
  pySlice,
  pyStr,
  pyTruthy,
} from './python-values.js';

describe('str() and repr()', () => {
  it('prints floats as Python does', () => {
    const cases: [number, string][] = [
      [5, '5.0'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1e16, '1e+16'],
      [1.5e16, '1.5e+16'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [-0, '-0.0'],
      [123456789012345680, '1.2345678901234568e+17'],
      [Number.POSITIVE_INFINITY, 'inf'],
      [Number.NaN, 'nan'],
      [2.5, '2.5'],
    ];
    for (const [value, text] of cases) assert.equal(floatRepr(value), text, String(value));
  });

  it('tells ints from floats: an integral JavaScript number is an int unless the engine made it a float', () => {
    assert.equal(pyStr(5), '5');
    assert.equal(pyStr(new PyFloat(5)), '5.0');
    assert.equal(pyStr(pyBinary('/', 10, 2, percentFormat)), '5.0');
    assert.equal(pyStr(pyBinary('//', 10, 4, percentFormat)), '2');
  });

  it('quotes strings in containers the way repr() does', () => {
    const list = ["it's", 'say "hi"', 'both \' and "', 'tab\there', 'é', '\x00', '\u200b'];
    assert.equal(
      pyStr(list),
      `["it's", 'say "hi"', 'both \\' and "', 'tab\\there', 'é', '\\x00', '\\u200b']`,
    );
  });

  it('keeps dict keys of any hashable type, with 1 and True as one key', () => {
    const dict = newDict([
      [1, 'a'],
      [true, 'b'],
      [new PyTuple([1, 2]), [null]],
    ]);
    assert.equal(pyRepr(dict), "{1: 'b', (1, 2): [None]}");
    assert.throws(() => newDict([[[1], 'x']]), /unhashable type: 'list'/);
  });

  it('prints None, booleans, tuples and nested structures', () => {
    assert.equal(pyStr(null), 'None');
    assert.equal(pyStr([true, false, null]), '[True, False, None]');
    assert.equal(pyStr(new PyTuple([1])), '(1,)');
    assert.equal(pyStr({ a: [1, { b: null }], c: {} }), "{'a': [1, {'b': None}], 'c': {}}");
  });
});

describe('truth, equality and order', () => {
  it('treats empty and zero values as false', () => {
    for (const value of ['', 0, new PyFloat(0), null, [], {}, new PyTuple([]), false])
      assert.equal(pyTruthy(value), false);
    for (const value of [' ', 1, -1, Number.NaN, [0], { a: null }, true]) assert.equal(pyTruthy(value), true);
  });

  it('compares numbers across int, float and bool, and nothing else across types', () => {
    assert.ok(pyEquals(1, true));
    assert.ok(pyEquals(1, new PyFloat(1)));
    assert.ok(!pyEquals('1', 1));
    assert.ok(pyEquals({ a: [1] }, newDict([['a', [new PyFloat(1)]]])));
    assert.ok(!pyEquals([1], new PyTuple([1])));
  });

  it('orders sequences element by element and refuses mixed types', () => {
    assert.ok(pyOrder([1, 2], [1, 3], '<'));
    assert.ok(pyOrder('B', 'a', '<'));
    assert.throws(
      () => pyOrder('a', 1, '<'),
      (error: unknown) => {
        assert.ok(error instanceof PyError);
        assert.equal(error.pyType, 'TypeError');
        assert.equal(error.message, "'<' not supported between instances of 'str' and 'int'");
        return true;
      },
    );
  });
});

describe('formatting', () => {
  it('formats with %', () => {
    assert.equal(
      percentFormat('%5.1f|%-4s|%03d|%x|%r|%%', new PyTuple([2.25, 'a', 7, 255, 'q'])),
      "  2.2|a   |007|ff|'q'|%",
    );
    assert.equal(percentFormat('%(host)s:%(port)d', { host: 'h', port: 22 }), 'h:22');
    assert.throws(() => percentFormat('%s %s', new PyTuple(['a'])), /not enough arguments for format string/);
    assert.throws(() => percentFormat('%s', new PyTuple(['a', 'b'])), /not all arguments converted/);
  });

  it('rounds exact ties to even, like CPython and unlike toFixed()', () => {
    assert.equal(percentFormat('%.0f %.0f %.0f %.2f', new PyTuple([0.5, 1.5, 2.5, 2.675])), '0 2 2 2.67');
  });

  it('formats with str.format()', () => {
    assert.equal(
      strFormat('{0:>6}|{1:^5}|{2:+.2f}|{3:,}|{4!r}', ['ab', 'c', 1.005, 1234567, 'x'], null),
      "    ab|  c  |+1.00|1,234,567|'x'",
    );
    assert.equal(
      strFormat(
        '{host}:{port}',
        [],
        new Map<string, unknown>([
          ['host', 'h'],
          ['port', 80],
        ]),
      ),
      'h:80',
    );
    assert.equal(strFormat('{{literal}} {}', ['x'], null), '{literal} x');
  });
});

describe('slices', () => {
  it('follows Python for negative steps and out-of-range bounds', () => {
    assert.deepEqual(pySlice([1, 2, 3, 4, 5], null, null, -2), [5, 3, 1]);
    assert.equal(pySlice('abcdef', -2, 1, -1), 'edc');
    assert.deepEqual(pySlice([1, 2, 3], 5, null, null), []);
  });
});
