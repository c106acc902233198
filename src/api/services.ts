// What the HTTP APIs need from the rest of the server; serve.ts builds it, tests build their own.

import type { Authenticator } from '../auth/authenticator.js';
import type { Inventory } from '../inventory/inventory.js';

export interface ApiServices {
  inventory: Inventory;
  auth: Authenticator;
  version: string;
}
