// The TFTP server on loopback for tests, with the events it reports collected, a served directory made from a few
// named files, and a wait for what the server reports asynchronously.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import type { TftpRoute } from './routes.js';
import { startTftpServer, type TftpEvent, type TftpServerOptions } from './server.js';

/** A server on 127.0.0.1 with short timeouts (200 ms, 3 retries unless `options` says otherwise), closed with `t`. */
export async function serve(t: TestContext, routes: TftpRoute[], options: Partial<TftpServerOptions> = {}) {
  const events: TftpEvent[] = [];
  const server = await startTftpServer({
    host: '127.0.0.1',
    port: 0,
    routes,
    timeoutMs: 200,
    retries: 3,
    onEvent: (event) => events.push(event),
    ...options,
  });
  t.after(() => server.close());
  return { server, events };
}

/** A temporary directory holding `files`, by name. */
export function rootWith(t: TestContext, files: Record<string, Buffer | string>): string {
  const root = tempDir(t);
  for (const [name, data] of Object.entries(files)) writeFileSync(join(root, name), data);
  return root;
}

export async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
