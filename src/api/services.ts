// What the HTTP APIs need from the rest of the server; serve.ts builds it, tests build their own.

import type { Authenticator } from '../auth/authenticator.js';
import type { RequireTls } from '../auth/require-tls.js';
import type { BootFiles } from '../boot/boot-files.js';
import type { EventBus } from '../events/event-bus.js';
import type { Inventory } from '../inventory/inventory.js';
import type { RepoMirrors } from '../mirror/contract.js';
import type { PowerControl } from '../power/power-control.js';
import type { AutoinstallRenderer } from '../templates/render.js';
import type { TriggerRunner } from '../triggers/trigger-runner.js';
import type { CobblerTasks } from './cobbler-tasks.js';

export interface ApiServices {
  inventory: Inventory;
  renderer: AutoinstallRenderer;
  boot: BootFiles;
  /** Where HTTP boot requests are reported for the install timeline. */
  events?: EventBus;
  auth: Authenticator;
  version: string;
  /** Runs install/<mode>/ triggers when installers report; without it, reports are only events. */
  triggers?: TriggerRunner;
  /** The data directory, which keeps installers' uploaded logs; without it, log upload is unavailable. */
  dataDir?: string;
  /** The package mirrors `/cobbler/repo_mirror/` serves and reposync fills; without them, nothing is mirrored. */
  mirrors?: RepoMirrors;
  /** Cobbler's background tasks, which REST and XML-RPC start and read alike; createApp makes them when absent. */
  tasks?: CobblerTasks;
  /** Power control (src/power/); without it, the power routes and methods answer that it is unavailable. */
  power?: PowerControl;
  /** Set by the api_require_tls setting: logins and token calls over plain HTTP are refused. */
  requireTls?: RequireTls;
}
