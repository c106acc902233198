// Pages of the REST lists (objects and events): `limit` items from `offset` (or after an event id). A page has a
// maximum size, so that no one request makes the server load and send a whole table; clients page through.

import { invalid } from '../errors.js';
import { parseInteger } from '../model/values.js';

export const defaultLimit = 1000;
export const maxLimit = 5000;

/** The `limit` query value: the default when absent, refused above maxLimit with what to do instead. */
export function parseLimit(value: string | undefined): number {
  if (value === undefined) return defaultLimit;
  const limit = parseInteger(value, 'limit', 1);
  if (limit > maxLimit) {
    throw invalid(
      `limit ${limit} is over the maximum of ${maxLimit}; ask for pages of at most ${maxLimit}, moving on with offset= (or after= for events).`,
    );
  }
  return limit;
}
