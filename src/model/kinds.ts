// The object kinds of the inventory and the sentinel that marks a field as inherited from its parent.

// image, menu, mgmtclass, package and file are Cobbler 3.3's other collections (cobbler/items/*.py); role is
// bootwright's own (the puppet classifier's rules). The order is `cobbler list`'s.
export const objectKinds = [
  'distro',
  'profile',
  'system',
  'repo',
  'image',
  'mgmtclass',
  'package',
  'file',
  'menu',
  'role',
] as const;
export type ObjectKind = (typeof objectKinds)[number];

export function isObjectKind(value: string): value is ObjectKind {
  return (objectKinds as readonly string[]).includes(value);
}

/** The collection's name as Cobbler spells it in `get_mgmtclasses` and bootwright in `/api/v1/mgmtclasses`. */
export function pluralOf(kind: ObjectKind): string {
  return kind === 'mgmtclass' ? 'mgmtclasses' : `${kind}s`;
}

/** The kind a plural collection name (`systems`, `mgmtclasses`) stands for, or undefined. */
export function kindOfPlural(plural: string): ObjectKind | undefined {
  return objectKinds.find((kind) => pluralOf(kind) === plural);
}

/** Cobbler's marker for "take this from the parent object (or the settings)". */
export const INHERIT = '<<inherit>>';

/** The scalar and structured values a field may hold once parsed. */
export type KvValue = string | string[] | null;
export type KvDict = Record<string, KvValue>;
export type FieldValue = string | number | boolean | string[] | KvDict | Record<string, unknown> | null;

export interface NetworkInterface {
  mac_address: string;
  ip_address: string;
  netmask: string;
  if_gateway: string;
  dns_name: string;
  cnames: string[];
  static: boolean;
  static_routes: string[];
  virt_bridge: string;
  mtu: string;
  interface_type: string;
  interface_master: string;
  bonding_opts: string;
  bridge_opts: string;
  management: boolean;
  connected_mode: boolean;
  dhcp_tag: string;
  ipv6_address: string;
  ipv6_prefix: string;
  ipv6_default_gateway: string;
  ipv6_mtu: string;
  ipv6_secondaries: string[];
  ipv6_static_routes: string[];
}

/** One stored object: its kind, identity, timestamps and field values (interfaces for systems). */
export interface InventoryObject {
  kind: ObjectKind;
  name: string;
  uid: string;
  ctime: number;
  mtime: number;
  fields: Record<string, FieldValue>;
  interfaces?: Record<string, NetworkInterface>;
}
