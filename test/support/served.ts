// The real server as `bootwright serve` runs it, in-process on loopback, with an admin token from the data
// directory's shared secret (as the CLI beside the server logs in), for tests that drive it over HTTP.

import type { TestContext } from 'node:test';
import { readSharedSecret } from '../../src/auth/shared-secret.js';
import { dataPaths } from '../../src/config/paths.js';
import { type RunningServer, startServer } from '../../src/serve.js';
import { runCli } from './cli.js';
import { serveTestRootsCommand } from './served-roots.js';
import { tempDir } from './temp-dir.js';

export interface Served {
  server: RunningServer;
  dataDir: string;
  /** http://127.0.0.1:PORT */
  base: string;
  token: string;
}

/** Starts the server on a fresh data directory (TFTP off unless `tftpPort` is given), stopped when `t` ends. */
export async function servedWithToken(t: TestContext, { tftpPort = 0 } = {}): Promise<Served> {
  const dataDir = tempDir(t);
  // Tests serve kernels and trees from their temporary directories.
  await runCli(dataDir, ...serveTestRootsCommand);
  const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort });
  t.after(() => server.stop());
  const base = `http://127.0.0.1:${server.port}`;
  const token = await logIn(base, readSharedSecret(dataPaths(dataDir).sharedSecret) as string);
  return { server, dataDir, base, token };
}

/** A REST login at `base`: with the shared secret and no user name, or as `username`; the token. */
export async function logIn(base: string, password: string, username = ''): Promise<string> {
  const login = await fetch(`${base}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return ((await login.json()) as { token: string }).token;
}
