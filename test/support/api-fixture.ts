// A real server stack (SQLite store in a temp dir, authenticator, HTTP app) for API tests, whose store may serve
// files from temporary directories (testing/served-roots.ts).

import type { TestContext } from 'node:test';
import type { Hono } from 'hono';
import { createApp } from '../../src/api/app.js';
import type { ApiServices } from '../../src/api/services.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { ensureSharedSecret } from '../../src/auth/shared-secret.js';
import { TokenIssuer } from '../../src/auth/tokens.js';
import { setUserPassword } from '../../src/auth/users-file.js';
import { BootFiles } from '../../src/boot/boot-files.js';
import { dataPaths } from '../../src/config/paths.js';
import { ServedPaths } from '../../src/config/served-paths.js';
import { EventBus } from '../../src/events/event-bus.js';
import { Inventory } from '../../src/inventory/inventory.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { AutoinstallSecrets } from '../../src/templates/autoinstall-secrets.js';
import { TemplateLibrary } from '../../src/templates/library.js';
import { AutoinstallRenderer } from '../../src/templates/render.js';
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
  const paths = dataPaths(dataDir);
  const store = SqliteStore.open(paths.store);
  await setUserPassword(paths.usersFile, 'admin', 'secret-admin');
  await setUserPassword(paths.usersFile, 'viewer', 'secret-viewer', 'readonly');
  const sharedSecret = ensureSharedSecret(paths.sharedSecret);
  const auth = new Authenticator({
    usersFile: paths.usersFile,
    sharedSecret,
    tokens: new TokenIssuer({ ttlSeconds: 3600, maxLifetimeSeconds: 43200 }),
  });
  const inventory = new Inventory(store, undefined, new ServedPaths({ dataDir }));
  // Tests serve kernels and trees from their temporary directories.
  await serveTestRoots(inventory);
  // As serve builds them: the autoinstall_secrets setting then works as it does in the real server.
  const secrets = new AutoinstallSecrets(paths.autoinstallKey);
  const boot = new BootFiles(inventory, secrets);
  const events = new EventBus(store.events, async (key) => (await boot.machines.systemFor(key))?.name);
  // The bus writes to the store: it is flushed before the store closes.
  context.after(async () => {
    await events.close();
    await store.close();
  });
  const renderer = new AutoinstallRenderer(inventory, new TemplateLibrary(dataDir), secrets);
  const services: ApiServices = {
    inventory,
    renderer,
    boot,
    events,
    dataDir,
    auth,
    version: '0.0.0-test',
  };
  const adminToken = await auth.login('admin', 'secret-admin');
  return { app: createApp(services), services, store, dataDir, sharedSecret, adminToken };
}

/** A route pattern from the app's route table with its parameters filled in, to send a request to each route. */
export function sampleRoutePath(pattern: string): string {
  return pattern
    .replace(':kinds', 'systems')
    .replace(':name', 'vm9')
    .replace(':mode', 'start')
    .replace(':file', 'anaconda.log')
    .replace(':loader', 'pxelinux')
    .replace('*', 'x');
}
