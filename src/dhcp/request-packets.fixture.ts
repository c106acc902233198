// Hand-built request datagrams shaped like captures from real clients, for the codec and policy tests. They are
// assembled byte by byte here, not with serializeDhcpPacket, so the codec is checked against an independent writer.

export const BIOS_ROM_MAC = '00:15:5d:4a:01:02';
export const IPXE_MAC = '52:54:00:12:34:56';
export const GUID_BYTES = [
  0x00, 0x4c, 0x4c, 0x45, 0x44, 0x00, 0x10, 0x35, 0x80, 0x30, 0xb4, 0xc0, 0x4f, 0x4d, 0x4c, 0x31, 0x32,
];

/** One option as code, length, value. */
export function option(code: number, value: readonly number[] | string): number[] {
  const bytes = typeof value === 'string' ? [...Buffer.from(value, 'latin1')] : [...value];
  return [code, bytes.length, ...bytes];
}

export interface RawHeader {
  op?: number;
  htype?: number;
  hlen?: number;
  hops?: number;
  xid?: number;
  secs?: number;
  flags?: number;
  ciaddr?: readonly number[];
  yiaddr?: readonly number[];
  siaddr?: readonly number[];
  giaddr?: readonly number[];
  mac?: string;
  /** Raw bytes for the 64-byte sname field. */
  sname?: readonly number[];
  /** Raw bytes for the 128-byte file field. */
  file?: readonly number[];
  cookie?: readonly number[];
}

/** A BOOTP header (RFC 2131 §2), the magic cookie and the given option bytes, exactly as written. */
export function rawPacket(header: RawHeader, options: readonly number[]): Buffer {
  const bytes = Buffer.alloc(240);
  bytes[0] = header.op ?? 1;
  bytes[1] = header.htype ?? 1;
  bytes[2] = header.hlen ?? 6;
  bytes[3] = header.hops ?? 0;
  bytes.writeUInt32BE(header.xid ?? 0x2a3b4c5d, 4);
  bytes.writeUInt16BE(header.secs ?? 0, 8);
  bytes.writeUInt16BE(header.flags ?? 0, 10);
  Buffer.from(header.ciaddr ?? [0, 0, 0, 0]).copy(bytes, 12);
  Buffer.from(header.yiaddr ?? [0, 0, 0, 0]).copy(bytes, 16);
  Buffer.from(header.siaddr ?? [0, 0, 0, 0]).copy(bytes, 20);
  Buffer.from(header.giaddr ?? [0, 0, 0, 0]).copy(bytes, 24);
  Buffer.from((header.mac ?? BIOS_ROM_MAC).split(':').map((hex) => Number.parseInt(hex, 16))).copy(bytes, 28);
  Buffer.from(header.sname ?? []).copy(bytes, 44);
  Buffer.from(header.file ?? []).copy(bytes, 108);
  Buffer.from(header.cookie ?? [0x63, 0x82, 0x53, 0x63]).copy(bytes, 236);
  return Buffer.concat([bytes, Buffer.from(options)]);
}

/**
 * An Intel PXE 2.1 BIOS ROM's DHCPDISCOVER: broadcast flag, arch 0, UNDI 2.1, a GUID, the PXEClient vendor class
 * and the long parameter request list ROMs send (128-135 are the PXE vendor-specific codes), padded to 548 bytes.
 */
export function biosPxeDiscover(overrides: RawHeader = {}): Buffer {
  const options = [
    ...option(53, [1]),
    ...option(57, [0x04, 0xec]),
    ...option(93, [0x00, 0x00]),
    ...option(94, [0x01, 0x02, 0x01]),
    ...option(97, GUID_BYTES),
    ...option(60, 'PXEClient:Arch:00000:UNDI:002001'),
    ...option(
      55,
      [1, 2, 3, 5, 6, 11, 12, 13, 15, 16, 17, 18, 43, 54, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135],
    ),
    255,
  ];
  const packet = rawPacket({ mac: BIOS_ROM_MAC, secs: 4, flags: 0x8000, ...overrides }, options);
  return Buffer.concat([packet, Buffer.alloc(548 - packet.length)]);
}

/**
 * iPXE's DHCPREQUEST after the offer: user class "iPXE" as four raw bytes (no RFC 3004 length prefix), option 175
 * with its feature flags (HTTP 0x13, TFTP 0x15, DNS 0x17, bzImage 0x18, ELF 0x19, PXE 0x21, version 0xeb), a
 * client identifier and the server identifier of the offer it accepts.
 */
export function ipxeRequest(
  overrides: RawHeader = {},
  requested = [192, 0, 2, 50],
  server = [192, 0, 2, 1],
): Buffer {
  const options = [
    ...option(53, [3]),
    ...option(57, [0x05, 0xc0]),
    ...option(93, [0x00, 0x00]),
    ...option(94, [0x01, 0x02, 0x01]),
    ...option(60, 'PXEClient:Arch:00000:UNDI:002001'),
    ...option(77, 'iPXE'),
    ...option(
      55,
      [1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203],
    ),
    ...option(
      175,
      [
        0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e, 0xeb, 0x03, 0x01, 0x00, 0x00, 0x17, 0x01, 0x01, 0x13, 0x01,
        0x01,
      ].concat([0x15, 0x01, 0x01, 0x18, 0x01, 0x01, 0x19, 0x01, 0x01, 0x21, 0x01, 0x01]),
    ),
    ...option(61, [0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56]),
    ...option(97, GUID_BYTES),
    ...option(50, requested),
    ...option(54, server),
    255,
  ];
  return rawPacket({ mac: IPXE_MAC, xid: 0x1d2c3b4a, ...overrides }, options);
}
