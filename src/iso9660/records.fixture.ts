// Byte builders for the codec tests: directory records and SUSP entries as ECMA-119 and SUSP lay them out.

export interface RecordFields {
  identifier: Buffer | string;
  lba?: number;
  dataLength?: number;
  flags?: number;
  extendedAttributeLength?: number;
  fileUnitSize?: number;
  interleaveGap?: number;
  date?: number[];
  systemUse?: Buffer;
}

export function directoryRecordBytes(fields: RecordFields): Buffer {
  const identifier =
    typeof fields.identifier === 'string' ? Buffer.from(fields.identifier, 'latin1') : fields.identifier;
  const padding = identifier.length % 2 === 0 ? 1 : 0;
  const systemUse = fields.systemUse ?? Buffer.alloc(0);
  const length = 33 + identifier.length + padding + systemUse.length;
  const bytes = Buffer.alloc(length + (length % 2));
  bytes[0] = bytes.length;
  bytes[1] = fields.extendedAttributeLength ?? 0;
  bytes.writeUInt32LE(fields.lba ?? 0, 2);
  bytes.writeUInt32BE(fields.lba ?? 0, 6);
  bytes.writeUInt32LE(fields.dataLength ?? 0, 10);
  bytes.writeUInt32BE(fields.dataLength ?? 0, 14);
  Buffer.from(fields.date ?? [124, 1, 2, 3, 4, 5, 0]).copy(bytes, 18);
  bytes[25] = fields.flags ?? 0;
  bytes[26] = fields.fileUnitSize ?? 0;
  bytes[27] = fields.interleaveGap ?? 0;
  bytes.writeUInt16LE(1, 28);
  bytes.writeUInt16BE(1, 30);
  bytes[32] = identifier.length;
  identifier.copy(bytes, 33);
  systemUse.copy(bytes, 33 + identifier.length + padding);
  return bytes;
}

/** One SUSP entry: two signature letters, the length, version 1, then the body. */
export function suspEntry(signature: string, body: number[] | Buffer): Buffer {
  const content = Buffer.from(body);
  return Buffer.concat([Buffer.from(signature, 'latin1'), Buffer.from([4 + content.length, 1]), content]);
}

export function bothEndian32(value: number): number[] {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32LE(value, 0);
  bytes.writeUInt32BE(value, 4);
  return [...bytes];
}
