// RFC 2347 option negotiation for a read request, pure. The server acknowledges only the options it honours, each
// at the value it will use; everything else is left out of the OACK, which RFC 2347 says the client must accept.

import type { TftpMode, TftpOptions } from './packet.js';

export interface OptionLimits {
  /** Largest block the path carries without IP fragmentation: 1500 - 20 (IPv4) - 8 (UDP) - 4 (TFTP) = 1468. */
  maxBlockSize: number;
  /** Largest RFC 7440 window this server sends before waiting for an ACK. */
  maxWindowSize: number;
  /** Largest RFC 2349 timeout accepted, in seconds; a client asking for more has the option left out. */
  maxTimeoutSeconds: number;
}

/**
 * A 10 s timeout is more than any LAN needs (U-Boot asks 5 s, PXE ROMs send none) and keeps a client that never
 * answers from holding its transfer for long: at 255 s, RFC 2349's largest, the retries alone would take 25 minutes.
 */
export const defaultOptionLimits: OptionLimits = {
  maxBlockSize: 1468,
  maxWindowSize: 64,
  maxTimeoutSeconds: 10,
};

export interface NegotiatedOptions {
  blockSize: number;
  windowSize: number;
  /** The client's RFC 2349 timeout in milliseconds, when it asked for one. */
  timeoutMs: number | undefined;
  /** What goes in the OACK; empty means no OACK and the transfer starts with DATA 1 (RFC 2347). */
  acknowledged: TftpOptions;
}

/** RFC 1350's block size, used when the client does not negotiate one. */
export const defaultBlockSize = 512;

export function negotiateOptions(
  requested: TftpOptions,
  file: { size: number; mode: TftpMode },
  limits: OptionLimits = defaultOptionLimits,
): NegotiatedOptions {
  const result: NegotiatedOptions = {
    blockSize: defaultBlockSize,
    windowSize: 1,
    timeoutMs: undefined,
    acknowledged: new Map(),
  };
  for (const [name, raw] of requested) {
    const value = parseDecimal(raw);
    if (name === 'blksize' && value !== undefined && value >= 8 && value <= 65464) {
      // RFC 2348: the server may answer with a smaller block size than asked, never a larger one.
      result.blockSize = Math.min(value, limits.maxBlockSize);
      result.acknowledged.set(name, String(result.blockSize));
    } else if (name === 'windowsize' && value !== undefined && value >= 1 && value <= 65535) {
      // RFC 7440 section 4: the server may answer with a smaller window.
      result.windowSize = Math.min(value, limits.maxWindowSize);
      result.acknowledged.set(name, String(result.windowSize));
    } else if (name === 'timeout' && value !== undefined && value >= 1 && value <= limits.maxTimeoutSeconds) {
      // RFC 2349: an acknowledged timeout "must match the value specified by the client", so one above our maximum
      // cannot be lowered in the OACK, only left out (RFC 2347); the client then keeps its own timer, and ours
      // stays the server's default.
      result.timeoutMs = value * 1000;
      result.acknowledged.set(name, String(value));
    } else if (name === 'tsize' && value !== undefined && file.mode === 'octet') {
      // RFC 2349: in a read request the client sends 0 and the server answers with the size. In netascii mode the
      // size on the wire differs from the file's and is known only after converting it all, so tsize is left out.
      result.acknowledged.set(name, String(file.size));
    }
  }
  return result;
}

function parseDecimal(text: string): number | undefined {
  return /^[0-9]{1,10}$/.test(text) ? Number(text) : undefined;
}
