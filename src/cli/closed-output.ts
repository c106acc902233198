// A command whose reader goes away (`bootwright template list | head -1`, a closed terminal) ends at once, quietly
// and with status 0, as `head` users expect of any Unix command: Node would otherwise die of the stream's
// unhandled EPIPE error with a stack trace and status 1. Node ignores SIGPIPE, so the error event is the only sign.

import { asBootwrightError } from '../errors.js';

const watched = new WeakSet<NodeJS.WriteStream>();
let serving = false;

/**
 * For `serve`: a server outlives whoever reads its log (a closed terminal, a pipe to a pager), so a lost reader only
 * silences it; installs in flight go on.
 */
export function keepServingWhenReaderGoes(): void {
  serving = true;
}

function readerGone(error: NodeJS.ErrnoException): boolean {
  return error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
}

/**
 * Whether a write has already found the reader gone: Node destroys the stream at once and emits the error only on
 * a later tick, by when a command may have finished and be about to report a failure nobody asked about.
 */
export function readerWentAway(stream: NodeJS.WriteStream): boolean {
  const error = stream.errored as NodeJS.ErrnoException | null;
  return error !== null && readerGone(error);
}

/** For the process's own stdout and stderr; once per stream, however often main runs in a process. */
export function endQuietlyWhenReaderGoes(stream: NodeJS.WriteStream): void {
  if (watched.has(stream)) return;
  watched.add(stream);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (readerGone(error)) {
      if (!serving) process.exit(0);
      return;
    }
    // Any other failure to write is reported where it still can be, as one line like every other error.
    try {
      process.stderr.write(`bootwright: cannot write the output: ${error.message}\n`);
    } catch {
      // stderr is gone too; the status still tells.
    }
    process.exit(asBootwrightError(error).exitCode);
  });
}
