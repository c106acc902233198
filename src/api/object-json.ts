// How objects look on the wire: one flat JSON object per inventory object (fields beside name, uid and times,
// plus `interfaces` for systems), the same shape that GET returns and that POST and PATCH accept back.

import type { Changes } from '../inventory/inventory.js';
import type { InventoryObject } from '../model/kinds.js';

export type ObjectJson = Record<string, unknown>;

const readOnlyKeys = new Set(['uid', 'ctime', 'mtime', 'kind']);

export function objectToJson(object: InventoryObject): ObjectJson {
  const json: ObjectJson = {
    name: object.name,
    ...object.fields,
    uid: object.uid,
    ctime: object.ctime,
    mtime: object.mtime,
  };
  if (object.kind === 'system') json.interfaces = object.interfaces ?? {};
  return json;
}

/** A body as changes; read-only keys are dropped so that a fetched object can be sent back as it is. */
export function changesFromJson(body: Record<string, unknown>): Changes {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !readOnlyKeys.has(key)));
}
