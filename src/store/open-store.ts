// Which backend keeps the server's state, chosen by a URL-like value: `sqlite:PATH` today. A backend opens each
// persistent thing behind its interface; adding one (PostgreSQL for several servers) is one file beside
// sqlite-backend.ts and one case below.

import { BootwrightError, quote } from '../errors.js';
import { sqliteBackend } from './sqlite-backend.js';
import type { Store } from './store.js';
import type { StoreBackend, StoreBackendOptions } from './store-backend.js';

/** The backend a store URL names; E_USAGE for a value no backend answers to. */
export function storeBackend(url: string, options: StoreBackendOptions = {}): StoreBackend {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const rest = url.slice((scheme?.length ?? 0) + 1);
  switch (scheme) {
    case 'sqlite':
      if (rest === '') {
        throw new BootwrightError('E_USAGE', `Store URL ${quote(url)} names no file; write sqlite:PATH.`);
      }
      return sqliteBackend(rest, options);
    default:
      throw new BootwrightError(
        'E_USAGE',
        `Store URL ${quote(url)} names no backend this bootwright has; write sqlite:PATH (for example sqlite:/var/lib/bootwright/store.sqlite).`,
      );
  }
}

/** The objects, settings and events a store URL names. */
export function openStore(url: string): Store {
  return storeBackend(url).objects();
}
