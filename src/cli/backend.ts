// Where the CLI's inventory lives: the local store in the data directory, or a running server (--server).
// Everything after this point sees only the InventoryBackend interface.

import { userInfo } from 'node:os';
import type { RemoteInventory } from '../api/remote-inventory.js';
import { dataPaths } from '../config/paths.js';
import { BootwrightError } from '../errors.js';
import type { InventoryBackend, RenderBackend } from '../inventory/backend.js';
import type { Inventory } from '../inventory/inventory.js';
import type { MirrorStatus, RepoMirrors } from '../mirror/contract.js';
import type { PowerAction } from '../power/contract.js';
import type { PowerResult } from '../power/power-control.js';
import { openServices } from '../services.js';
import type { EventLog } from '../store/store.js';

export interface GlobalOptions {
  /** Already resolved (flag, environment, default). */
  dataDir: string;
  server?: string;
  token?: string;
  /** Where to tell the operator what opening the local store changed (file modes tightened); stderr by default. */
  notice?: (line: string) => void;
}

export interface OpenBackend {
  backend: InventoryBackend;
  renderer: RenderBackend;
  /** The same backend by what it is, for the few commands that differ locally and remotely (ext-nodes). */
  local?: Inventory;
  /** The local store's event log, where a local command records what it did (ext-nodes' check-in). */
  localEvents?: EventLog;
  remote?: RemoteInventory;
  /** The install timeline: the local store's event log, or the server's. */
  events: Pick<EventLog, 'query'>;
  /** The local package mirrors (check looks at them); absent with --server. */
  mirrors?: RepoMirrors;
  /** A power action or reinstall of one system: through this host's drivers, or the server's. */
  power(system: string, action: PowerAction | 'reinstall'): Promise<PowerResult>;
  /** A repo's mirror as `repo report` shows it: the local one, or the server's. */
  mirrorStatus(name: string): Promise<MirrorStatus>;
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
    return {
      backend,
      renderer: backend,
      remote: backend,
      events: backend.events,
      mirrorStatus: (name) => backend.mirrorStatus(name),
      power: (system, action) => backend.power(system, action),
      close: async () => {},
    };
  }
  const notice = globals.notice ?? ((line: string) => process.stderr.write(`bootwright: ${line}\n`));
  // Changes made here run the same add/edit/delete triggers as changes made through a server. The CLI serves no
  // DHCP and takes no logins.
  const services = await openServices({
    dataDir: globals.dataDir,
    dhcp: false,
    sharedSecret: false,
    notice,
  });
  const { inventory, renderer, store } = services;
  const close = async () => {
    await services.triggers?.idle();
    await services.close();
  };
  return {
    backend: inventory,
    renderer,
    local: inventory,
    localEvents: store.events,
    events: store.events,
    mirrors: services.mirrors,
    mirrorStatus: (name) => services.mirrors.status(name),
    power: (system, action) => {
      const who = `${userInfo().username} (command line)`;
      return action === 'reinstall'
        ? services.power.reinstall(system, who)
        : services.power.act(system, action, who);
    },
    close,
  };
}
