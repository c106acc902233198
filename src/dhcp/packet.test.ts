import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import {
  DhcpOption,
  encodeEncapsulated,
  readClientArchitectures,
  readClientMachineIdentifier,
  readClientNetworkInterface,
  readEncapsulated,
  readIpv4,
  readIpv4List,
  readMessageType,
  readParameterRequestList,
  readString,
  readUint16,
  readUserClasses,
  vendorClassArchitecture,
} from './options.js';
import {
  BOOTREPLY,
  BOOTREQUEST,
  type DhcpPacket,
  DhcpPacketError,
  optionOrder,
  parseDhcpPacket,
  serializeDhcpPacket,
} from './packet.js';
import {
  BIOS_ROM_MAC,
  biosPxeDiscover,
  GUID_BYTES,
  ipxeRequest,
  option,
  rawPacket,
} from './request-packets.fixture.js';

function assertMalformed(bytes: Buffer, ...mentions: string[]): void {
  assert.throws(
    () => parseDhcpPacket(bytes),
    (error: unknown) => {
      assert.ok(error instanceof DhcpPacketError, `expected a DhcpPacketError, got ${String(error)}`);
      assert.ok(error instanceof BootwrightError);
      assert.equal(error.code, 'E_INVALID');
      for (const mention of mentions)
        assert.ok(error.message.includes(mention), `${error.message} / ${mention}`);
      return true;
    },
  );
}

function samplePacket(): DhcpPacket {
  return {
    op: BOOTREPLY,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0xdeadbeef,
    secs: 0,
    flags: 0x8000,
    ciaddr: '0.0.0.0',
    yiaddr: '192.0.2.50',
    siaddr: '192.0.2.1',
    giaddr: '0.0.0.0',
    chaddr: Buffer.concat([Buffer.from([0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc]), Buffer.alloc(10)]),
    sname: '192.0.2.1',
    file: 'pxelinux.0',
    options: new Map([
      [DhcpOption.SubnetMask, Buffer.from([255, 255, 255, 0])],
      [DhcpOption.MessageType, Buffer.from([2])],
      [DhcpOption.ServerIdentifier, Buffer.from([192, 0, 2, 1])],
      [DhcpOption.BootFileName, Buffer.from('pxelinux.0')],
    ]),
  };
}

describe('parseDhcpPacket on hand-built captures', () => {
  it('reads a BIOS PXE ROM DHCPDISCOVER with options 93, 94, 97 and 60', () => {
    const packet = parseDhcpPacket(biosPxeDiscover());
    assert.equal(packet.op, BOOTREQUEST);
    assert.equal(packet.htype, 1);
    assert.equal(packet.hlen, 6);
    assert.equal(packet.xid, 0x2a3b4c5d);
    assert.equal(packet.secs, 4);
    assert.equal(packet.flags, 0x8000);
    assert.equal(packet.ciaddr, '0.0.0.0');
    assert.equal(packet.chaddr.subarray(0, 6).toString('hex'), BIOS_ROM_MAC.replaceAll(':', ''));
    assert.equal(packet.sname, '');
    assert.equal(packet.file, '');
    const { options } = packet;
    assert.equal(readMessageType(options), 1);
    assert.equal(readUint16(options, DhcpOption.MaximumMessageSize), 1260);
    assert.deepEqual(readClientArchitectures(options), [0]);
    assert.deepEqual(readClientNetworkInterface(options), { type: 1, major: 2, minor: 1 });
    assert.equal(readClientMachineIdentifier(options), '4c4c4544-0010-3580-30b4-c04f4d4c3132');
    assert.equal(readString(options, DhcpOption.VendorClass), 'PXEClient:Arch:00000:UNDI:002001');
    assert.equal(vendorClassArchitecture(readString(options, DhcpOption.VendorClass)), 0);
    assert.deepEqual(readParameterRequestList(options)?.slice(0, 4), [1, 2, 3, 5]);
    assert.deepEqual([...options.keys()], [53, 57, 93, 94, 97, 60, 55]);
  });

  it('reads an iPXE DHCPREQUEST with raw user class "iPXE" and option 175', () => {
    const packet = parseDhcpPacket(ipxeRequest());
    const { options } = packet;
    assert.equal(readMessageType(options), 3);
    assert.deepEqual(readUserClasses(options), ['iPXE']);
    const features = readEncapsulated(options, DhcpOption.IpxeEncapsulated);
    assert.ok(features);
    assert.deepEqual(features.get(0x13), Buffer.from([1]), 'HTTP');
    assert.deepEqual(features.get(0xeb), Buffer.from([1, 0, 0]), 'version 1.0.0');
    assert.equal(readIpv4(options, DhcpOption.RequestedAddress), '192.0.2.50');
    assert.equal(readIpv4(options, DhcpOption.ServerIdentifier), '192.0.2.1');
    assert.deepEqual(
      options.get(DhcpOption.ClientIdentifier),
      Buffer.from([1, 0x52, 0x54, 0, 0x12, 0x34, 0x56]),
    );
  });

  it('reads RFC 3004 user classes as a list and keeps raw strings whole', () => {
    const rfc = parseDhcpPacket(
      rawPacket({}, [...option(77, [4, ...Buffer.from('iPXE'), 3, 0x61, 0x62, 0x63]), 255]),
    );
    assert.deepEqual(readUserClasses(rfc.options), ['iPXE', 'abc']);
    const raw = parseDhcpPacket(rawPacket({}, [...option(77, 'Tinkerbell'), 255]));
    assert.deepEqual(readUserClasses(raw.options), ['Tinkerbell']);
  });

  it('concatenates split instances of one option in order (RFC 3396)', () => {
    const long = Buffer.alloc(300, 0x41);
    long.write('start', 0);
    long.write('end', 297);
    const bytes = rawPacket({}, [
      ...option(53, [1]),
      ...option(67, [...long.subarray(0, 255)]),
      ...option(12, 'between'),
      ...option(67, [...long.subarray(255)]),
      255,
    ]);
    const packet = parseDhcpPacket(bytes);
    assert.deepEqual(packet.options.get(67), long);
    assert.equal(readString(packet.options, 12), 'between');
  });

  it('reads options overloaded into the file and sname fields, after the options field (RFC 2132 §9.3)', () => {
    const file = [...option(12, 'host-from-file'), ...option(15, 'exa'), 255];
    const sname = [...option(15, 'mple.org'), ...option(3, [192, 0, 2, 254]), 255];
    const bytes = rawPacket({ file, sname }, [
      ...option(53, [1]),
      ...option(52, [3]),
      ...option(15, 'dom.'),
      255,
    ]);
    const packet = parseDhcpPacket(bytes);
    assert.equal(packet.file, '');
    assert.equal(packet.sname, '');
    assert.equal(readString(packet.options, 12), 'host-from-file');
    assert.equal(readString(packet.options, 15), 'dom.example.org');
    assert.equal(readIpv4(packet.options, 3), '192.0.2.254');
    assert.equal(packet.options.has(52), false, 'the overload option is structure, not content');
  });

  it('keeps sname and file as text when option 52 only overloads the other one', () => {
    const bytes = rawPacket({ sname: [...Buffer.from('boot-server')], file: [...option(12, 'x'), 255] }, [
      ...option(53, [1]),
      ...option(52, [1]),
      255,
    ]);
    const packet = parseDhcpPacket(bytes);
    assert.equal(packet.sname, 'boot-server');
    assert.equal(packet.file, '');
    assert.equal(readString(packet.options, 12), 'x');
  });

  it('skips pad bytes, stops at the end option and tolerates a missing one', () => {
    const padded = parseDhcpPacket(rawPacket({}, [0, 0, ...option(53, [1]), 0, 255, 99, 99, 99]));
    assert.deepEqual([...padded.options.keys()], [53]);
    const unterminated = parseDhcpPacket(rawPacket({}, option(53, [1])));
    assert.equal(readMessageType(unterminated.options), 1);
  });

  it('drops trailing NULs from text options, which Windows clients send', () => {
    const packet = parseDhcpPacket(rawPacket({}, [...option(12, 'winbox\0'), 255]));
    assert.equal(readString(packet.options, 12), 'winbox');
  });
});

describe('parseDhcpPacket on malformed input', () => {
  const valid = rawPacket({}, [...option(53, [1]), 255]);

  it('refuses packets shorter than the header and cookie', () => {
    assertMalformed(Buffer.alloc(0), 'at least 240 bytes', 'received 0');
    assertMalformed(valid.subarray(0, 239), 'received 239');
    assertMalformed(valid.subarray(0, 100), 'received 100');
  });

  it('refuses a wrong op, an oversized hlen and a missing magic cookie', () => {
    assertMalformed(rawPacket({ op: 3 }, [255]), 'op is 3');
    assertMalformed(rawPacket({ op: 0 }, [255]), 'op is 0');
    assertMalformed(rawPacket({ hlen: 17 }, [255]), 'hlen is 17');
    assertMalformed(rawPacket({ cookie: [0x63, 0x82, 0x53, 0x64] }, [255]), 'magic cookie is 0x63825364');
  });

  it('refuses an option whose length byte is missing or runs past the end', () => {
    assertMalformed(rawPacket({}, [53]), 'option 53', 'no length byte');
    assertMalformed(rawPacket({}, [53, 4, 1]), 'option 53', 'claims 4 bytes, but only 1 remain');
    assertMalformed(rawPacket({}, [...option(53, [1]), 60, 200, ...Buffer.from('PXEClient')]), 'option 60');
  });

  it('refuses overload options that are wrong, repeated or nested', () => {
    assertMalformed(rawPacket({}, [...option(52, [4]), 255]), 'option 52', 'is 4');
    assertMalformed(rawPacket({}, [...option(52, [0]), 255]), 'option 52', 'is 0');
    assertMalformed(rawPacket({}, [...option(52, [1, 1]), 255]), 'option 52', '2 bytes');
    assertMalformed(rawPacket({}, [...option(52, [1]), ...option(52, [2]), 255]), 'option 52', 'appear once');
    // An overloaded field that claims to overload again would be a loop.
    assertMalformed(
      rawPacket({ file: [...option(52, [1]), 255] }, [...option(52, [1]), 255]),
      'inside the file field',
    );
    assertMalformed(
      rawPacket({ file: [12, 200, 65] }, [...option(52, [1]), 255]),
      'file field',
      'claims 200',
    );
    assertMalformed(rawPacket({ sname: [12, 100] }, [...option(52, [2]), 255]), 'sname field', 'claims 100');
  });

  it('refuses more options than any client sends', () => {
    const many = Array.from({ length: 513 }, () => [200, 0]).flat();
    assertMalformed(rawPacket({}, [...many, 255]), 'more than 512 options');
    assert.doesNotThrow(() => parseDhcpPacket(rawPacket({}, [...many.slice(2), 255])));
    // Pad bytes are not options, however many there are.
    assert.doesNotThrow(() => parseDhcpPacket(rawPacket({}, [...new Array(60_000).fill(0), 255])));
  });

  it('refuses a datagram larger than UDP allows', () => {
    assertMalformed(Buffer.concat([valid, Buffer.alloc(65_507)]), 'at most 65507 bytes');
  });

  it('reports malformed options through the typed accessors', () => {
    const check = (options: number[], read: (packet: DhcpPacket) => unknown, ...mentions: string[]) => {
      const packet = parseDhcpPacket(rawPacket({}, [...options, 255]));
      assert.throws(
        () => read(packet),
        (error: unknown) => {
          assert.ok(error instanceof DhcpPacketError);
          for (const mention of mentions) assert.ok(error.message.includes(mention), error.message);
          return true;
        },
      );
    };
    check(option(53, [1, 1]), (p) => readMessageType(p.options), 'option 53', 'expected 1 byte, received 2');
    check(option(53, [9]), (p) => readMessageType(p.options), 'message type 9');
    check(
      option(93, [0]),
      (p) => readClientArchitectures(p.options),
      'Cannot parse DHCP option 93',
      'received 1',
    );
    check(option(93, []), (p) => readClientArchitectures(p.options), 'option 93', 'received 0');
    check(option(94, [1, 2]), (p) => readClientNetworkInterface(p.options), 'option 94', 'expected 3 bytes');
    check(option(97, GUID_BYTES.slice(1)), (p) => readClientMachineIdentifier(p.options), 'option 97');
    check(
      option(97, [1, ...GUID_BYTES.slice(1)]),
      (p) => readClientMachineIdentifier(p.options),
      'type is 1',
    );
    check(option(50, [192, 0, 2]), (p) => readIpv4(p.options, 50), 'option 50', 'expected 4 bytes');
    check(option(6, [192, 0, 2, 1, 9]), (p) => readIpv4List(p.options, 6), 'option 6', 'multiple of 4');
    check(option(175, [0x13, 5, 1]), (p) => readEncapsulated(p.options, 175), 'option 175', 'sub-option 19');
  });
});

describe('serializeDhcpPacket', () => {
  it('round-trips a reply', () => {
    const packet = samplePacket();
    const bytes = serializeDhcpPacket(packet);
    assert.deepEqual(parseDhcpPacket(bytes), packet);
  });

  it('pads to the 300-byte BOOTP minimum and ends the options', () => {
    const packet = samplePacket();
    packet.options = new Map([[53, Buffer.from([2])]]);
    const bytes = serializeDhcpPacket(packet);
    assert.equal(bytes.length, 300);
    assert.deepEqual([...bytes.subarray(240, 244)], [53, 1, 2, 255]);
    assert.ok(bytes.subarray(244).every((byte) => byte === 0));
  });

  it('writes options in a stable order: 53, 54, ascending, 82 last', () => {
    assert.deepEqual(optionOrder([82, 67, 1, 54, 175, 53, 3]), [53, 54, 1, 3, 67, 175, 82]);
    const packet = samplePacket();
    packet.options.set(82, Buffer.from([1, 2, 0x61, 0x62]));
    const reparsed = parseDhcpPacket(serializeDhcpPacket(packet));
    assert.deepEqual([...reparsed.options.keys()], [53, 54, 1, 67, 82]);
  });

  it('splits values longer than 255 bytes into consecutive instances (RFC 3396)', () => {
    const packet = samplePacket();
    const url = `http://192.0.2.1/${'a'.repeat(600)}`;
    packet.options = new Map([[67, Buffer.from(url)]]);
    const bytes = serializeDhcpPacket(packet);
    assert.equal(bytes[240], 67);
    assert.equal(bytes[241], 255);
    assert.equal(bytes[240 + 2 + 255], 67);
    assert.equal(readString(parseDhcpPacket(bytes).options, 67), url);
  });

  it('writes empty options and encapsulated sub-options', () => {
    const packet = samplePacket();
    packet.options = new Map([
      [80, Buffer.alloc(0)],
      [43, encodeEncapsulated(new Map([[6, Buffer.from([8])]]))],
    ]);
    const reparsed = parseDhcpPacket(serializeDhcpPacket(packet));
    assert.deepEqual(reparsed.options.get(80), Buffer.alloc(0));
    assert.deepEqual(reparsed.options.get(43), Buffer.from([6, 1, 8, 255]));
    assert.deepEqual(readEncapsulated(reparsed.options, 43), new Map([[6, Buffer.from([8])]]));
  });

  it('refuses what it cannot write, as an internal error', () => {
    const cases: [Partial<DhcpPacket>, string][] = [
      [{ yiaddr: '192.0.2.256' }, 'yiaddr'],
      [{ xid: -1 }, 'xid'],
      [{ flags: 0x10000 }, 'flags'],
      [{ file: 'x'.repeat(129) }, 'file is 129 bytes'],
      [{ sname: 'snow☃' }, 'U+2603'],
      [{ chaddr: Buffer.alloc(17) }, 'chaddr'],
      [{ options: new Map([[0, Buffer.alloc(1)]]) }, 'option code 0'],
      [{ options: new Map([[255, Buffer.alloc(1)]]) }, 'option code 255'],
    ];
    for (const [change, mention] of cases) {
      assert.throws(
        () => serializeDhcpPacket({ ...samplePacket(), ...change }),
        (error: unknown) =>
          error instanceof BootwrightError && error.code === 'E_INTERNAL' && error.message.includes(mention),
        mention,
      );
    }
  });
});

describe('fuzzing the codec', () => {
  /** A small deterministic generator, so a failure reproduces with the printed seed. */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function checkOne(bytes: Buffer, seed: number): 'parsed' | 'refused' {
    let packet: DhcpPacket;
    try {
      packet = parseDhcpPacket(bytes);
    } catch (error) {
      assert.ok(error instanceof DhcpPacketError, `seed ${seed}: ${String(error)}`);
      return 'refused';
    }
    // Whatever parses can be written back, and reads back the same (the first round trip normalises overloads).
    const again = parseDhcpPacket(serializeDhcpPacket(packet));
    assert.deepEqual(again, packet, `seed ${seed}`);
    for (const read of [
      readMessageType,
      readClientArchitectures,
      readClientNetworkInterface,
      readClientMachineIdentifier,
      readUserClasses,
      (options: DhcpPacket['options']) => readEncapsulated(options, 175),
      (options: DhcpPacket['options']) => readIpv4List(options, 6),
    ]) {
      try {
        read(packet.options);
      } catch (error) {
        assert.ok(error instanceof DhcpPacketError, `seed ${seed}: ${String(error)}`);
      }
    }
    return 'parsed';
  }

  it('never throws anything but DhcpPacketError on 4,000 random and mutated packets', () => {
    const seeds = [
      biosPxeDiscover(),
      ipxeRequest(),
      rawPacket({ file: [...option(12, 'f'), 255] }, [...option(52, [3]), 255]),
    ];
    const outcomes = { parsed: 0, refused: 0 };
    for (let seed = 1; seed <= 4000; seed += 1) {
      const next = random(seed);
      let bytes: Buffer;
      if (seed % 4 === 0) {
        // Pure noise of any length, with a valid cookie half the time so the option parser is reached.
        bytes = Buffer.from(Array.from({ length: Math.floor(next() * 700) }, () => Math.floor(next() * 256)));
        if (bytes.length >= 240 && next() < 0.5) Buffer.from([0x63, 0x82, 0x53, 0x63]).copy(bytes, 236);
        if (bytes.length > 0 && next() < 0.5) bytes[0] = 1;
      } else {
        bytes = Buffer.from(seeds[seed % seeds.length] as Buffer);
        const mutations = 1 + Math.floor(next() * 8);
        for (let m = 0; m < mutations; m += 1) {
          const at = 236 + Math.floor(next() * (bytes.length - 236));
          const kind = next();
          if (kind < 0.6) bytes[at] = Math.floor(next() * 256);
          else if (kind < 0.8) bytes = bytes.subarray(0, Math.max(0, at));
          else
            bytes = Buffer.concat([
              bytes.subarray(0, at),
              Buffer.from([Math.floor(next() * 256)]),
              bytes.subarray(at),
            ]);
        }
      }
      outcomes[checkOne(bytes, seed)] += 1;
    }
    // Both paths must actually be exercised for the test to mean anything.
    assert.ok(outcomes.parsed > 500, JSON.stringify(outcomes));
    assert.ok(outcomes.refused > 500, JSON.stringify(outcomes));
  });
});
