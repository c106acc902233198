import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultOptionLimits, negotiateOptions } from './options.js';

const octet = { size: 40_000_000, mode: 'octet' } as const;
const ask = (...pairs: [string, string][]) => new Map(pairs);

test('no options: RFC 1350 defaults and no OACK', () => {
  assert.deepEqual(negotiateOptions(ask(), octet), {
    blockSize: 512,
    windowSize: 1,
    timeoutMs: undefined,
    acknowledged: new Map(),
  });
});

test('every supported option is acknowledged in the order asked, at the value used', () => {
  const result = negotiateOptions(
    ask(['tsize', '0'], ['blksize', '1024'], ['timeout', '3'], ['windowsize', '8'], ['multicast', '']),
    octet,
  );
  assert.equal(result.blockSize, 1024);
  assert.equal(result.windowSize, 8);
  assert.equal(result.timeoutMs, 3000);
  assert.deepEqual(
    [...result.acknowledged],
    [
      ['tsize', '40000000'],
      ['blksize', '1024'],
      ['timeout', '3'],
      ['windowsize', '8'],
    ],
  );
});

test('blksize is clamped to the configured path MTU and windowsize to the configured maximum', () => {
  const result = negotiateOptions(ask(['blksize', '65464'], ['windowsize', '65535']), octet, {
    maxBlockSize: 1468,
    maxWindowSize: 64,
    maxTimeoutSeconds: 10,
  });
  assert.deepEqual(
    [...result.acknowledged],
    [
      ['blksize', '1468'],
      ['windowsize', '64'],
    ],
  );
  assert.equal(result.blockSize, 1468);
  assert.equal(result.windowSize, 64);
});

test('values outside the RFC ranges or not decimal are left out, and the defaults stay', () => {
  const cases: [string, string][] = [
    ['blksize', '7'],
    ['blksize', '65465'],
    ['blksize', '-1'],
    ['blksize', '1e3'],
    ['blksize', ' 512'],
    ['timeout', '0'],
    ['timeout', '256'],
    ['windowsize', '0'],
    ['windowsize', '65536'],
    ['tsize', 'x'],
  ];
  for (const pair of cases) {
    const result = negotiateOptions(ask(pair), octet);
    assert.equal(result.acknowledged.size, 0, `${pair.join('=')} should be left out`);
    assert.equal(result.blockSize, 512);
    assert.equal(result.windowSize, 1);
    assert.equal(result.timeoutMs, undefined);
  }
});

test('boundary values are accepted', () => {
  const low = negotiateOptions(ask(['blksize', '8'], ['timeout', '1'], ['windowsize', '1']), octet);
  assert.deepEqual([low.blockSize, low.timeoutMs, low.windowSize], [8, 1000, 1]);
  const high = negotiateOptions(ask(['timeout', '255']), octet, {
    ...defaultOptionLimits,
    maxTimeoutSeconds: 255,
  });
  assert.equal(high.timeoutMs, 255_000);
});

test('a timeout above the maximum is left out of the OACK, never lowered (RFC 2349: it must match the request)', () => {
  const limits = { ...defaultOptionLimits, maxTimeoutSeconds: 10 };
  const atMost = negotiateOptions(ask(['timeout', '10']), octet, limits);
  assert.deepEqual([atMost.timeoutMs, [...atMost.acknowledged]], [10_000, [['timeout', '10']]]);
  for (const seconds of ['11', '255']) {
    const above = negotiateOptions(ask(['tsize', '0'], ['timeout', seconds]), octet, limits);
    assert.equal(above.timeoutMs, undefined);
    assert.deepEqual([...above.acknowledged], [['tsize', '40000000']]);
  }
  assert.equal(negotiateOptions(ask(['timeout', '255']), octet).timeoutMs, undefined, 'declined by default');
});

test('tsize is answered with the file size for octet mode, and left out for netascii', () => {
  assert.deepEqual(
    [...negotiateOptions(ask(['tsize', '0']), { size: 0, mode: 'octet' }).acknowledged],
    [['tsize', '0']],
  );
  assert.equal(negotiateOptions(ask(['tsize', '0']), { size: 10, mode: 'netascii' }).acknowledged.size, 0);
});
