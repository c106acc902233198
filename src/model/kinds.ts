// The object kinds of the inventory and the sentinel that marks a field as inherited from its parent.

export const objectKinds = ['distro', 'profile', 'system', 'repo', 'role'] as const;
export type ObjectKind = (typeof objectKinds)[number];

export function isObjectKind(value: string): value is ObjectKind {
  return (objectKinds as readonly string[]).includes(value);
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
