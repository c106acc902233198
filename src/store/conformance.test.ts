// The store conformance suites (conformance/*.ts), run against every backend and every other implementation of a
// store interface. A new backend joins the list of backends and must pass them all.

import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { eventLogConformance } from './conformance/events.js';
import { leaseStoreConformance } from './conformance/leases.js';
import { objectStoreConformance } from './conformance/objects.js';
import { tokenStoreConformance } from './conformance/tokens.js';
import { userStoreConformance } from './conformance/users.js';
import { InMemoryLeaseStore } from './memory-lease-store.js';
import { InMemoryTokenStore } from './memory-token-store.js';
import { storeBackend } from './open-store.js';
import type { StoreBackend } from './store-backend.js';

/** Each backend, opened afresh for one test. */
const backends: [string, (context: TestContext) => StoreBackend][] = [
  [
    'sqlite',
    (context) => {
      const dir = tempDir(context);
      return storeBackend(`sqlite:${join(dir, 'data', 'store.sqlite')}`, { usersFile: join(dir, 'users') });
    },
  ],
];

for (const [name, open] of backends) {
  objectStoreConformance(name, (context) => open(context).objects());
  eventLogConformance(name, (context) => open(context).objects());
  leaseStoreConformance(name, (context) => open(context).leases());
  userStoreConformance(name, (context) => open(context).users());
  tokenStoreConformance(name, (context) => open(context).tokens());
}

leaseStoreConformance('InMemoryLeaseStore', () => new InMemoryLeaseStore());
tokenStoreConformance('InMemoryTokenStore', () => new InMemoryTokenStore());
