// What the HTTP APIs need from the rest of the server; serve.ts builds it, tests build their own.

import type { Authenticator } from '../auth/authenticator.js';
import type { BootFiles } from '../boot/boot-files.js';
import type { EventBus } from '../events/event-bus.js';
import type { Inventory } from '../inventory/inventory.js';
import type { AutoinstallRenderer } from '../templates/render.js';

export interface ApiServices {
  inventory: Inventory;
  renderer: AutoinstallRenderer;
  boot: BootFiles;
  /** Where HTTP boot requests are reported for the install timeline. */
  events?: EventBus;
  auth: Authenticator;
  version: string;
}
