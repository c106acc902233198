// The composition root: from a data directory and a store URL it builds the services a server or the local CLI runs
// on (store, inventory with its triggers, event bus, DHCP leases, boot files, renderer, authenticator), wires them to
// each other, and stops them in reverse order. `serve`, the CLI's local backend and the tests' API fixture all start
// here, so that the store is opened in one place and a new backend or service is wired once.

import { Authenticator } from './auth/authenticator.js';
import { ensureSharedSecret } from './auth/shared-secret.js';
import { TokenIssuer } from './auth/tokens.js';
import { BootFiles } from './boot/boot-files.js';
import { dhcpConfigFromSettings } from './boot/dhcp-wiring.js';
import { type DataPaths, dataPaths } from './config/paths.js';
import { securePrivateDataDir } from './config/private-data-dir.js';
import { ServedPaths } from './config/served-paths.js';
import type { DhcpConfig } from './dhcp/policy.js';
import { EventBus } from './events/event-bus.js';
import { Inventory } from './inventory/inventory.js';
import { MachineLookup } from './inventory/machine-lookup.js';
import type { RepoMirrors } from './mirror/contract.js';
import { openRepoMirrors } from './mirror/engine.js';
import { allHooks, mirrorRemovalHook } from './mirror/removal-hook.js';
import type { Settings } from './model/settings.js';
import { PowerControl } from './power/power-control.js';
import type { LeaseStore } from './store/lease-store.js';
import { storeBackend } from './store/open-store.js';
import type { Store } from './store/store.js';
import type { UserStore } from './store/user-store.js';
import { AutoinstallSecrets } from './templates/autoinstall-secrets.js';
import { TemplateLibrary } from './templates/library.js';
import { AutoinstallRenderer } from './templates/render.js';
import { TriggerRunner } from './triggers/trigger-runner.js';
import { version } from './version.js';

export interface ServicesConfig {
  dataDir: string;
  /** Where the state lives (store/open-store.ts); by default the SQLite file in the data directory. */
  storeUrl?: string;
  /** The environment triggers run with; this process's by default. */
  env?: NodeJS.ProcessEnv;
  /** Whether changes and install reports run the data directory's triggers (default true). */
  triggers?: boolean;
  /** Whether the DHCP leases are opened when the dhcp_mode setting turns DHCP on (default true). */
  dhcp?: boolean;
  /** Whether a login with the shared secret works; the secret is created if missing (default true). */
  sharedSecret?: boolean;
  /**
   * Settings this process runs with unless the store sets them: serve's --port is the http_port of the URLs it
   * hands installers when no http_port is stored, so that they reach the port it listens on.
   */
  settingDefaults?: Readonly<Record<string, unknown>>;
  /** Told each file mode tightened in the data directory, as it is done. */
  notice?: (line: string) => void;
}

export interface Services {
  dataDir: string;
  paths: DataPaths;
  /** The settings as they were when the services were built. */
  settings: Settings;
  store: Store;
  inventory: Inventory;
  servedPaths: ServedPaths;
  triggers?: TriggerRunner;
  events: EventBus;
  /** What the settings say DHCP should serve; undefined when DHCP is off (or not asked for). */
  dhcpConfig?: DhcpConfig;
  leases?: LeaseStore;
  machines: MachineLookup;
  autoinstallSecrets: AutoinstallSecrets;
  boot: BootFiles;
  renderer: AutoinstallRenderer;
  /** The package mirrors under <data dir>/repo_mirror/: what reposync fills and /cobbler/repo_mirror/ serves. */
  mirrors: RepoMirrors;
  /** Power actions through each system's power driver (src/power/), each on the system's timeline. */
  power: PowerControl;
  users: UserStore;
  auth: Authenticator;
  version: string;
  /** Stops everything built here, in reverse order; once. */
  close(): Promise<void>;
}

export async function openServices(config: ServicesConfig): Promise<Services> {
  const { dataDir } = config;
  const paths = dataPaths(dataDir);
  for (const line of securePrivateDataDir(paths)) config.notice?.(line);
  const backend = storeBackend(config.storeUrl ?? paths.storeUrl, { usersFile: paths.usersFile });
  // Everything built is stopped in reverse order, also when something later fails to build.
  const stops: (() => Promise<void>)[] = [() => backend.close()];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const stop of stops.reverse()) await stop();
    })();
    return closing;
  };
  try {
    const store = backend.objects();
    stops.push(() => store.close());
    // Triggers report on the event bus, which finds systems through the inventory: it is bound once made.
    const triggers =
      config.triggers === false
        ? undefined
        : new TriggerRunner({
            dir: paths.triggers,
            env: { ...(config.env ?? process.env), BOOTWRIGHT_DATA_DIR: dataDir },
            events: { publish: (event) => events.publish(event) },
          });
    const servedPaths = new ServedPaths({ dataDir });
    const mirrors = openRepoMirrors(dataDir);
    // A repo's removal frees its mirror once committed, whatever removed it (CLI, REST, XML-RPC).
    const hooks = allHooks([triggers, mirrorRemovalHook(mirrors, (event) => events.publish(event))]);
    const inventory = new Inventory(store, hooks, servedPaths, config.settingDefaults);
    const settings = await inventory.settings();
    const autoinstallSecrets = new AutoinstallSecrets(paths.autoinstallKey);
    const dhcpConfig = config.dhcp === false ? undefined : dhcpConfigFromSettings(settings);
    // Opened before the event bus: a TFTP or HTTP request carries only the client's address, and for a machine on
    // the dynamic pool only its lease ties that address to a MAC, and so to a system.
    const leases = dhcpConfig ? backend.leases() : undefined;
    if (leases) stops.push(() => leases.close());
    const machines = new MachineLookup(inventory, leases);
    const boot = new BootFiles(inventory, autoinstallSecrets, machines);
    const events = new EventBus(store.events, async (key) => (await machines.systemFor(key))?.name);
    stops.push(() => events.close());
    if (triggers) stops.push(() => triggers.close());
    // Downloads in flight read from the trees: they close after whoever serves the downloads has stopped.
    stops.push(() => boot.trees.closeAll());
    const users = backend.users();
    const auth = new Authenticator({
      users,
      ...(config.sharedSecret === false ? {} : { sharedSecret: ensureSharedSecret(paths.sharedSecret) }),
      tokens: new TokenIssuer({
        ttlSeconds: Number(settings.auth_token_expiration),
        maxLifetimeSeconds: Number(settings.auth_token_max_lifetime),
        store: backend.tokens(),
      }),
    });
    const renderer = new AutoinstallRenderer(
      inventory,
      new TemplateLibrary(dataDir),
      autoinstallSecrets,
      mirrors,
    );
    return {
      dataDir,
      paths,
      settings,
      store,
      inventory,
      servedPaths,
      ...(triggers ? { triggers } : {}),
      events,
      ...(dhcpConfig ? { dhcpConfig } : {}),
      ...(leases ? { leases } : {}),
      machines,
      autoinstallSecrets,
      boot,
      renderer,
      mirrors,
      power: new PowerControl(inventory, events),
      users,
      auth,
      version,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
