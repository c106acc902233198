// Test fixture, run as its own process (inside a network namespace by loss.test.ts): serves one directory over
// TFTP and prints one JSON line per event, the first being {"port": N}. Stops on SIGTERM.
// Usage: node --import tsx serve-directory.fixture.ts HOST ROOT TIMEOUT_MS RETRIES

import { fileRootRoute } from './routes.js';
import { defaultMaxSessions, startTftpServer } from './server.js';

const [host = '127.0.0.1', root = '.', timeoutMs = '1000', retries = '5'] = process.argv.slice(2);
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const server = await startTftpServer({
  host,
  port: 0,
  routes: [fileRootRoute(root)],
  timeoutMs: Number(timeoutMs),
  retries: Number(retries),
  // Its clients (bench/tftp.ts runs 50 atftp processes at once) all send from one loopback address.
  maxSessionsPerClient: defaultMaxSessions,
  onEvent: print,
});
print({ port: server.port });
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
