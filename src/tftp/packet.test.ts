import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fuzzPackets } from './fuzz-packets.fixture.js';
import {
  maxDataBytes,
  maxOptionCount,
  parseTftpPacket,
  serializeTftpPacket,
  type TftpPacket,
  TftpPacketError,
} from './packet.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))),
  );

describe('TFTP packet codec: round trips', () => {
  const packets: TftpPacket[] = [
    { type: 'RRQ', filename: 'pxelinux.0', mode: 'octet', options: new Map() },
    {
      type: 'RRQ',
      filename: 'grub2/x86_64-efi/normal.mod',
      mode: 'octet',
      options: new Map([
        ['blksize', '1468'],
        ['tsize', '0'],
        ['windowsize', '16'],
        ['timeout', '3'],
      ]),
    },
    { type: 'WRQ', filename: 'upload.txt', mode: 'netascii', options: new Map() },
    { type: 'DATA', block: 1, data: Buffer.from('hello') },
    { type: 'DATA', block: 65535, data: Buffer.alloc(0) },
    { type: 'DATA', block: 0, data: Buffer.alloc(maxDataBytes, 7) },
    { type: 'ACK', block: 0 },
    { type: 'ACK', block: 65535 },
    { type: 'ERROR', code: 1, message: 'File not found' },
    { type: 'ERROR', code: 8, message: '' },
    { type: 'OACK', options: new Map([['tsize', '40000000']]) },
  ];
  for (const packet of packets) {
    test(`${packet.type} ${JSON.stringify(packet, (_k, v) => (v instanceof Map ? [...v] : v)).slice(0, 80)}`, () => {
      assert.deepEqual(parseTftpPacket(serializeTftpPacket(packet)), packet);
    });
  }

  test('an RRQ is laid out as RFC 1350 and RFC 2347 say', () => {
    const packet = serializeTftpPacket({
      type: 'RRQ',
      filename: 'a',
      mode: 'octet',
      options: new Map([['blksize', '1468']]),
    });
    assert.deepEqual(packet, bytes([0, 1], 'a\0octet\0blksize\x001468\0'));
  });

  test('mode and option names are case-insensitive and come back in lower case', () => {
    const packet = parseTftpPacket(bytes([0, 1], 'File\0OcTeT\0BLKSIZE\x00512\0TSize\x000\0'));
    assert.deepEqual(packet, {
      type: 'RRQ',
      filename: 'File',
      mode: 'octet',
      options: new Map([
        ['blksize', '512'],
        ['tsize', '0'],
      ]),
    });
  });

  test('an ERROR message that is not valid UTF-8 is still read, since it only ever gets logged', () => {
    const packet = parseTftpPacket(bytes([0, 5, 0, 0, 0xff, 0xfe, 0]));
    assert.equal(packet.type, 'ERROR');
  });

  test('serializing refuses values that cannot be encoded', () => {
    const rrq = { type: 'RRQ', filename: 'a\0b', mode: 'octet', options: new Map() } as const;
    assert.throws(() => serializeTftpPacket(rrq), TftpPacketError);
    assert.throws(
      () => serializeTftpPacket({ type: 'ACK', block: 65536 }),
      /block number "65536" is not in 0..65535/,
    );
    assert.throws(() =>
      serializeTftpPacket({ type: 'DATA', block: 1, data: Buffer.alloc(maxDataBytes + 1) }),
    );
  });
});

describe('TFTP packet codec: malformed packets', () => {
  const manyOptions = Array.from({ length: maxOptionCount + 1 }, (_, i) => `o${i}\x001\0`).join('');
  const cases: [string, Buffer, RegExp][] = [
    ['an empty datagram', bytes([]), /expected at least 2 bytes, received 0/],
    ['a single byte', bytes([0]), /expected at least 2 bytes, received 1/],
    ['opcode 0', bytes([0, 0, 1, 2]), /unknown opcode 0/],
    ['opcode 7', bytes([0, 7, 1, 2]), /unknown opcode 7/],
    ['opcode 65535', bytes([0xff, 0xff]), /unknown opcode 65535/],
    ['an RRQ without a filename terminator', bytes([0, 1], 'pxelinux.0'), /filename is not NUL-terminated/],
    ['an RRQ with an empty filename', bytes([0, 1], '\0octet\0'), /filename is empty/],
    ['an RRQ without a mode', bytes([0, 1], 'a\0'), /mode is not NUL-terminated/],
    ['an RRQ with an unterminated mode', bytes([0, 1], 'a\0octet'), /mode is not NUL-terminated/],
    ['an RRQ in mail mode', bytes([0, 1], 'a\0mail\0'), /mode "mail" is not supported/],
    ['an RRQ in an unknown mode', bytes([0, 1], 'a\0binary\0'), /mode "binary" is not supported/],
    [
      'an option without a value',
      bytes([0, 1], 'a\0octet\0blksize\0'),
      /value of option "blksize" is not NUL/,
    ],
    ['an unterminated option value', bytes([0, 1], 'a\0octet\0blksize\x00512'), /is not NUL-terminated/],
    ['an empty option name', bytes([0, 1], 'a\0octet\0\x00512\0'), /an option name is empty/],
    ['a repeated option', bytes([0, 1], 'a\0octet\0blksize\x008\0BLKSIZE\x009\0'), /"blksize" appears twice/],
    ['too many options', bytes([0, 1], 'a\0octet\0', manyOptions), /more than 16 options/],
    ['an RRQ over 512 bytes', bytes([0, 1], `${'a'.repeat(505)}\0octet\0`), /expected at most 512 bytes/],
    ['a filename in invalid UTF-8', bytes([0, 1], [0xc3, 0x28, 0], 'octet\0'), /filename is not valid UTF-8/],
    ['a filename with a newline', bytes([0, 1], 'a\nb\0octet\0'), /contains a control character/],
    ['a WRQ without a mode', bytes([0, 2], 'a\0'), /TFTP WRQ: mode is not NUL-terminated/],
    ['a DATA of 3 bytes', bytes([0, 3, 0]), /DATA: expected at least 4 bytes, received 3/],
    ['a DATA over 65468 bytes', bytes([0, 3, 0, 1], 'x'.repeat(maxDataBytes + 1)), /expected at most 65468/],
    ['an ACK of 3 bytes', bytes([0, 4, 0]), /ACK: expected exactly 4 bytes, received 3/],
    ['an ACK of 5 bytes', bytes([0, 4, 0, 1, 0]), /ACK: expected exactly 4 bytes, received 5/],
    ['an ERROR without a message', bytes([0, 5, 0, 1]), /ERROR: expected at least 5 bytes, received 4/],
    [
      'an ERROR with an unterminated message',
      bytes([0, 5, 0, 1], 'oops'),
      /error message is not NUL-terminated/,
    ],
    ['an ERROR with bytes after the message', bytes([0, 5, 0, 1], 'oops\0xx'), /2 unexpected bytes/],
    ['an OACK with no option', bytes([0, 6]), /acknowledges no option/],
    ['an OACK with a name but no value', bytes([0, 6], 'tsize\0'), /value of option "tsize"/],
  ];
  for (const [name, packet, message] of cases) {
    test(name, () => {
      assert.throws(
        () => parseTftpPacket(packet),
        (error: unknown) =>
          error instanceof TftpPacketError && error.code === 'E_INVALID' && message.test(error.message),
      );
    });
  }
});

test('fuzz: random and mutated packets parse or fail with TftpPacketError, and what parses re-serializes', () => {
  let parsed = 0;
  for (const packet of fuzzPackets(5000, 20260101)) {
    let result: TftpPacket;
    try {
      result = parseTftpPacket(packet);
    } catch (error) {
      assert.ok(
        error instanceof TftpPacketError,
        `unexpected ${String(error)} for ${packet.toString('hex')}`,
      );
      continue;
    }
    parsed++;
    assert.deepEqual(parseTftpPacket(serializeTftpPacket(result)), result);
  }
  assert.ok(parsed > 100, `only ${parsed} of 5000 fuzzed packets parsed; the mutations are too destructive`);
});
