// How the inventory names an object in the sentences it refuses a change with.

import { quote } from '../errors.js';
import type { ObjectKind } from '../model/kinds.js';
import type { ObjectRef } from '../store/store.js';

export function kindLabel(kind: ObjectKind): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${quote(ref.name)}`;
}
