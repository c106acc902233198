// The two date formats of ECMA-119 (and of the RRIP TF entry, which reuses them). Dates are metadata only, so an
// impossible date reads as 0 (the epoch) instead of making the whole directory unreadable.

const quarterHourMs = 15 * 60 * 1000;

/** ECMA-119 9.1.5: seven bytes (years since 1900, month, day, hour, minute, second, GMT offset in 15 minutes). */
export function decodeRecordingDate(bytes: Buffer, offset: number): number {
  if (offset + 7 > bytes.length) return 0;
  const year = 1900 + (bytes[offset] ?? 0);
  const month = bytes[offset + 1] ?? 0;
  const day = bytes[offset + 2] ?? 0;
  const hour = bytes[offset + 3] ?? 0;
  const minute = bytes[offset + 4] ?? 0;
  const second = bytes[offset + 5] ?? 0;
  return toEpochMs(year, month, day, hour, minute, second, 0, bytes.readInt8(offset + 6));
}

/** ECMA-119 8.4.26.1: 16 ASCII digits "YYYYMMDDHHMMSScc" and a GMT offset byte; all zeros means "not specified". */
export function decodeLongDate(bytes: Buffer, offset: number): number {
  if (offset + 17 > bytes.length) return 0;
  const digits = bytes.toString('latin1', offset, offset + 16);
  if (!/^\d{16}$/.test(digits)) return 0;
  const field = (start: number, length: number) => Number(digits.slice(start, start + length));
  const year = field(0, 4);
  if (year === 0) return 0;
  return toEpochMs(
    year,
    field(4, 2),
    field(6, 2),
    field(8, 2),
    field(10, 2),
    field(12, 2),
    field(14, 2) * 10,
    bytes.readInt8(offset + 16),
  );
}

function toEpochMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  milliseconds: number,
  gmtOffset: number,
): number {
  const valid =
    month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60;
  if (!valid) return 0;
  // Offsets run from -48 (west, -12:00) to +52 (east, +13:00); anything else is noise and is taken as GMT.
  const offsetMs = gmtOffset >= -48 && gmtOffset <= 52 ? gmtOffset * quarterHourMs : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, milliseconds) - offsetMs;
}
