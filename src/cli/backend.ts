// Where the CLI's inventory lives: the local store in the data directory, or a running server (--server).
// Everything after this point sees only the InventoryBackend interface.

import { dataPaths } from '../config/paths.js';
import { BootwrightError } from '../errors.js';
import type { InventoryBackend, RenderBackend } from '../inventory/backend.js';
import { Inventory } from '../inventory/inventory.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { TemplateLibrary } from '../templates/library.js';
import { AutoinstallRenderer } from '../templates/render.js';

export interface GlobalOptions {
  /** Already resolved (flag, environment, default). */
  dataDir: string;
  server?: string;
  token?: string;
}

export interface OpenBackend {
  backend: InventoryBackend;
  renderer: RenderBackend;
  close(): Promise<void>;
}

export async function openBackend(globals: GlobalOptions): Promise<OpenBackend> {
  const paths = dataPaths(globals.dataDir);
  if (globals.server) {
    // Loaded only for --server, so that the local CLI does not depend on the HTTP client.
    let remote: typeof import('../api/remote-inventory.js');
    try {
      remote = await import('../api/remote-inventory.js');
    } catch (error) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `Remote mode (--server) is not available in this build: ${(error as Error).message}`,
      );
    }
    const backend = new remote.RemoteInventory({
      baseUrl: globals.server,
      ...(globals.token ? { token: globals.token } : {}),
      sharedSecretPath: paths.sharedSecret,
    });
    return { backend, renderer: backend, close: async () => {} };
  }
  const store = SqliteStore.open(paths.store);
  const inventory = new Inventory(store);
  const renderer = new AutoinstallRenderer(inventory, new TemplateLibrary(globals.dataDir));
  return { backend: inventory, renderer, close: () => store.close() };
}
