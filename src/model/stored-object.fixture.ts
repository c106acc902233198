// Objects for the model's tests, made as the inventory stores them: every field at its default, then the values
// a test gives, so that blending sees what it sees in a real store.

import { fieldsByKind, interfaceFields } from './fields.js';
import type { FieldValue, InventoryObject, NetworkInterface, ObjectKind } from './kinds.js';

export function make(
  kind: ObjectKind,
  name: string,
  fields: Record<string, FieldValue> = {},
  interfaces?: Record<string, Partial<NetworkInterface>>,
): InventoryObject {
  const object: InventoryObject = { kind, name, uid: `uid-${name}`, ctime: 1, mtime: 1, fields: {} };
  for (const field of fieldsByKind[kind]) {
    if (field.name !== 'name') object.fields[field.name] = structuredClone(field.default) as FieldValue;
  }
  Object.assign(object.fields, fields);
  if (interfaces) {
    object.interfaces = {};
    for (const [ifname, values] of Object.entries(interfaces)) {
      const iface = Object.fromEntries(
        interfaceFields.map((field) => [field.name, structuredClone(field.default)]),
      );
      object.interfaces[ifname] = { ...(iface as unknown as NetworkInterface), ...values };
    }
  }
  return object;
}
