// A real server stack (the services serve builds, on a SQLite store in a temp dir, without triggers) and its HTTP
// app for API tests, whose store may serve files from temporary directories (served-roots.ts).

import type { TestContext } from 'node:test';
import type { Hono } from 'hono';
import { createApp } from '../../src/api/app.js';
import type { ApiServices } from '../../src/api/services.js';
import { setUserPassword } from '../../src/auth/password.js';
import { ensureSharedSecret } from '../../src/auth/shared-secret.js';
import { openServices } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { serveTestRoots } from './served-roots.js';
import { tempDir } from './temp-dir.js';

export interface ApiFixture {
  app: Hono;
  services: ApiServices;
  /** The store under the inventory, for tests that write what no interface would accept (an older store). */
  store: Store;
  dataDir: string;
  sharedSecret: string;
  /** An admin token for user "admin" (password "secret-admin"). */
  adminToken: string;
}

export async function apiFixture(context: TestContext): Promise<ApiFixture> {
  const dataDir = tempDir(context);
  const built = await openServices({ dataDir, triggers: false });
  // In reverse order, as serve stops them: the event bus is flushed before the store closes.
  context.after(() => built.close());
  await setUserPassword(built.users, 'admin', 'secret-admin');
  await setUserPassword(built.users, 'viewer', 'secret-viewer', 'readonly');
  const sharedSecret = ensureSharedSecret(built.paths.sharedSecret);
  // Tests serve kernels and trees from their temporary directories.
  await serveTestRoots(built.inventory);
  const services: ApiServices = { ...built, version: '0.0.0-test' };
  const adminToken = await built.auth.login('admin', 'secret-admin');
  return { app: createApp(services), services, store: built.store, dataDir, sharedSecret, adminToken };
}

/** A route pattern from the app's route table with its parameters filled in, to send a request to each route. */
export function sampleRoutePath(pattern: string): string {
  return pattern
    .replace(':kinds', 'systems')
    .replace(':name', 'vm9')
    .replace(':mode', 'start')
    .replace(':file', 'anaconda.log')
    .replace(':loader', 'pxelinux')
    .replace(':id', '2026-01-01_000000_Reposync_0')
    .replace('*', 'x');
}
