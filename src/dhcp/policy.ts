// What to answer. Given one parsed request, the configuration, the inventory (through a narrow directory) and the
// lease state, decide the reply, where it goes and which lease writes must happen before it is sent. No sockets and
// no writes here: the server applies the writes, then sends, so the decision is testable without a network.
//
// Modes: `off` answers nothing; `proxy` answers only PXE clients, beside a DHCP server that hands out addresses
// (ProxyDHCP in the PXE 2.1 specification, plus its boot-server request on UDP 4011); `reservation` answers only
// machines in the inventory, with their static addresses; `full` adds a dynamic pool for every other machine.

import { invalid, quote } from '../errors.js';
import type { Lease, LeaseStore } from '../store/lease-store.js';
import {
  type Ipv4Subnet,
  inSubnet,
  intToIpv4,
  ipv4ToInt,
  isIpv4,
  netmaskToPrefix,
  prefixToNetmask,
  subnetBounds,
  ZERO_ADDRESS,
} from './ipv4.js';
import {
  ClientArch,
  DhcpOption,
  encodeEncapsulated,
  encodeIpv4,
  encodeIpv4List,
  encodeString,
  encodeUint8,
  encodeUint32,
  IPXE_NO_PXEDHCP,
  IPXE_USER_CLASS,
  MessageType,
  type MessageTypeName,
  messageTypeName,
  PXE_DISCOVERY_USE_BOOTFILE,
  PxeVendorOption,
  readClientArchitectures,
  readEncapsulated,
  readIpv4,
  readMessageType,
  readString,
  readUserClasses,
  vendorClassArchitecture,
} from './options.js';
import { BOOTREPLY, BOOTREQUEST, BROADCAST_FLAG, type DhcpOptions, type DhcpPacket } from './packet.js';

export type DhcpMode = 'off' | 'proxy' | 'reservation' | 'full';

/** Boot files by firmware family; names are relative to the TFTP root (and to httpBootUrl for UEFI HTTP boot). */
export interface BootFiles {
  /** Option 93 type 0, x86 BIOS. */
  bios: string;
  /** Types 6, 7 and 9: x64 UEFI (and 32-bit UEFI, which is served the same file). */
  uefiX64: string;
  /** Type 11: ARM64 UEFI. */
  uefiArm64: string;
  /** Files for other architecture types (RFC 4578 numbers, decimal), or to override the families above. */
  byArch?: Readonly<Record<number, string>>;
}

/** A firmware family of BootFiles; which files they are is the boot loaders' to say (src/boot/loaders/). */
export type FirmwareFamily = Exclude<keyof BootFiles, 'byArch'>;

export interface DhcpConfig {
  mode: DhcpMode;
  /** This host's address on the served network: option 54, siaddr and the TFTP server (option 66). */
  serverAddress: string;
  subnet: Ipv4Subnet;
  router?: string;
  /** Option 6. Sent even when empty here (the server address stands in): debian-installer stops to ask otherwise. */
  dnsServers: string[];
  domain?: string;
  leaseSeconds: number;
  /** Required in `full` mode; inclusive. */
  pool?: { start: string; end: string };
  bootFiles: BootFiles;
  /** Base URL the boot file of a UEFI HTTP-boot client is resolved against, e.g. "http://192.0.2.1/boot/". */
  httpBootUrl: string;
  /**
   * Where iPXE finds its script for a machine, in the iPXE chain: iPXE is sent here instead of being chainloaded
   * again. Without it (the pxelinux/GRUB chain), an iPXE ROM such as QEMU's is PXE firmware like any other.
   */
  ipxeScriptUrl?: (mac: string) => string;
  /** How long a declined address stays out of the pool. Default 600. */
  declineSeconds?: number;
  /** How long an offered address is held for the client that was offered it. Default 60. */
  offerSeconds?: number;
}

export interface DhcpHost {
  name: string;
  ipAddress?: string;
  netmask?: string;
  gateway?: string;
  hostname?: string;
  netbootEnabled: boolean;
}

/** The narrow view of the inventory the policy needs; the wiring implements it over the store. */
export interface DhcpDirectory {
  hostByMac(mac: string): Promise<DhcpHost | undefined>;
  /** Every static address of every system: the pool never hands these out. */
  reservedAddresses(): Promise<Set<string>>;
}

export interface DhcpRequest {
  packet: DhcpPacket;
  /** `dhcp` for the DHCP server port (67); `pxe` for the PXE boot-server port (4011, proxy mode only). */
  port: 'dhcp' | 'pxe';
  /** The UDP source, which answers on the PXE port go back to. */
  source: { address: string; port: number };
  /** Milliseconds since the epoch. */
  now: number;
}

/**
 * `broadcast`: 255.255.255.255 on the client port. A server with ARP injection could unicast to yiaddr (RFC 2131
 * §4.1); node:dgram cannot, since the kernel has no ARP entry for an address the client does not have yet.
 * `client`: unicast to an address the client already uses (ciaddr). `relay`: giaddr on the server port (RFC 2131
 * §4.1, RFC 1542 §4.1). `source`: where the request came from (PXE 2.1 boot-server replies on port 4011).
 */
export type ReplyDestination =
  | { kind: 'broadcast' }
  | { kind: 'client'; address: string }
  | { kind: 'relay'; address: string }
  | { kind: 'source'; address: string; port: number };

export type LeaseWrite = { kind: 'upsert'; lease: Lease } | { kind: 'release'; address: string };

export interface DhcpEvent {
  type: MessageTypeName | 'ignored';
  mac: string;
  /** The first option 93 type, or the one in the PXE vendor class. */
  clientArch?: number;
  vendorClass?: string;
  /** Offered, acknowledged, requested, declined or released. */
  address?: string;
  bootFile?: string;
  /** giaddr, when a relay agent forwarded the request. */
  relay?: string;
  /** Why nothing was sent (type `ignored`), or why a DHCPNAK was. */
  reason?: string;
}

export interface DhcpDecision {
  received: DhcpEvent;
  /** Applied in order, before the reply is sent. */
  leaseWrites: LeaseWrite[];
  reply?: { packet: DhcpPacket; destination: ReplyDestination; event: DhcpEvent };
  /** Set when there is no reply: the reason, for logs and the event bus. */
  ignored?: DhcpEvent;
}

const DEFAULT_DECLINE_SECONDS = 600;
const DEFAULT_OFFER_SECONDS = 60;
/** 127 bytes and a NUL: ROMs copy the file field with strcpy-like code; longer names go in option 67 only. */
const FILE_FIELD_MAXIMUM = 127;
const ETHERNET = 1;

// ---------------------------------------------------------------------------------------------------------------
// Configuration

/** Throws E_INVALID naming the first setting that cannot work. */
export function checkDhcpConfig(config: DhcpConfig): void {
  const { subnet } = config;
  const addressSetting = (name: string, value: string | undefined): void => {
    if (value !== undefined && !isIpv4(value))
      throw invalid(`DHCP ${name} ${quote(value)} is not an IPv4 address.`);
  };
  if (!['off', 'proxy', 'reservation', 'full'].includes(config.mode)) {
    throw invalid(`DHCP mode ${quote(config.mode)} is not one of "off", "proxy", "reservation" or "full".`);
  }
  addressSetting('server address', config.serverAddress);
  addressSetting('subnet network', subnet.network);
  if (!Number.isInteger(subnet.prefix) || subnet.prefix < 1 || subnet.prefix > 30) {
    throw invalid(`DHCP subnet prefix ${quote(subnet.prefix)} must be a whole number from 1 to 30.`);
  }
  addressSetting('router', config.router);
  for (const server of config.dnsServers) addressSetting('DNS server', server);
  if (!/^https?:\/\/[^/]/.test(config.httpBootUrl) || !URL.canParse(config.httpBootUrl)) {
    throw invalid(
      `DHCP HTTP boot URL ${quote(config.httpBootUrl)} is not an absolute http:// or https:// URL.`,
    );
  }
  if (
    !Number.isInteger(config.leaseSeconds) ||
    config.leaseSeconds < 60 ||
    config.leaseSeconds > 0xfffffffe
  ) {
    throw invalid(
      `DHCP lease time ${quote(config.leaseSeconds)} must be a whole number of seconds, at least 60.`,
    );
  }
  if (config.mode === 'off' || config.mode === 'proxy') return;
  const where = `${subnet.network}/${subnet.prefix}`;
  if (!inSubnet(config.serverAddress, subnet)) {
    throw invalid(`DHCP server address ${quote(config.serverAddress)} is not on the subnet ${where}.`);
  }
  if (config.router !== undefined && !inSubnet(config.router, subnet)) {
    throw invalid(`DHCP router ${quote(config.router)} is not on the subnet ${where}.`);
  }
  if (config.mode === 'full' && !config.pool) throw invalid('DHCP mode "full" needs a pool (start and end).');
  if (config.pool) {
    const { start, end } = config.pool;
    addressSetting('pool start', start);
    addressSetting('pool end', end);
    if (!inSubnet(start, subnet) || !inSubnet(end, subnet)) {
      throw invalid(`DHCP pool ${quote(`${start}-${end}`)} is not inside the subnet ${where}.`);
    }
    if ((ipv4ToInt(start) as number) > (ipv4ToInt(end) as number)) {
      throw invalid(`DHCP pool start ${quote(start)} comes after its end ${quote(end)}.`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the client

type NetbootKind = 'pxe' | 'http' | 'ipxe';

interface Client {
  mac: string;
  type: number;
  arch: number | undefined;
  vendorClass: string | undefined;
  netboot: NetbootKind | undefined;
  requestedAddress: string | undefined;
  serverIdentifier: string | undefined;
  hostname: string | undefined;
  relay: string | undefined;
}

/** UEFI HTTP boot architecture types (IANA registry): firmware that sends them needs an absolute http URL. */
const HTTP_ARCHES = new Set<number>([
  ClientArch.HttpEfiX86,
  ClientArch.HttpEfiX64,
  ClientArch.HttpEfiArm32,
  ClientArch.HttpEfiArm64,
  ClientArch.HttpBios,
]);

const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Built from a table: it runs for every packet. */
function formatMac(chaddr: Buffer): string {
  const hex = (index: number) => HEX_BYTES[chaddr[index] ?? 0];
  return `${hex(0)}:${hex(1)}:${hex(2)}:${hex(3)}:${hex(4)}:${hex(5)}`;
}

function readClient(packet: DhcpPacket, type: number, config: DhcpConfig): Client {
  const { options } = packet;
  const vendorClass = readString(options, DhcpOption.VendorClass);
  const arches = readClientArchitectures(options);
  // RFC 4578 §2.1 lists types in order of preference; take the first one there is a file for.
  const arch =
    arches?.find((candidate) => bootFileForArch(config.bootFiles, candidate) !== undefined) ??
    arches?.[0] ??
    vendorClassArchitecture(vendorClass);
  const userClasses = readUserClasses(options) ?? [];
  let netboot: NetbootKind | undefined;
  // iPXE says who it is with user class "iPXE" or by sending its option 175; either one breaks the chainload loop.
  if (userClasses.includes(IPXE_USER_CLASS) || options.has(DhcpOption.IpxeEncapsulated)) netboot = 'ipxe';
  else if (vendorClass?.startsWith('HTTPClient') || (arch !== undefined && HTTP_ARCHES.has(arch)))
    netboot = 'http';
  else if (vendorClass?.startsWith('PXEClient')) netboot = 'pxe';
  return {
    mac: formatMac(packet.chaddr),
    type,
    arch,
    vendorClass,
    netboot,
    requestedAddress: readIpv4(options, DhcpOption.RequestedAddress),
    serverIdentifier: readIpv4(options, DhcpOption.ServerIdentifier),
    hostname: readString(options, DhcpOption.HostName),
    relay: packet.giaddr === ZERO_ADDRESS ? undefined : packet.giaddr,
  };
}

function bootFileForArch(files: BootFiles, arch: number): string | undefined {
  const override = files.byArch?.[arch];
  if (override !== undefined) return override;
  switch (arch) {
    case ClientArch.BiosX86:
      return files.bios;
    case ClientArch.EfiIa32:
    case ClientArch.EfiX64:
    // Some firmware sends 9 (EFI BC) where 7 is meant, and the other way round; both are x64 in practice.
    case ClientArch.EfiBc:
    case ClientArch.HttpEfiX86:
    case ClientArch.HttpEfiX64:
      return files.uefiX64;
    case ClientArch.EfiArm64:
    case ClientArch.HttpEfiArm64:
      return files.uefiArm64;
    default:
      return undefined;
  }
}

/** The boot file this client should load, or undefined when it is no netboot client or there is none for it. */
function bootFileFor(client: Client, config: DhcpConfig): string | undefined {
  switch (client.netboot) {
    case 'ipxe':
      if (config.ipxeScriptUrl) return config.ipxeScriptUrl(client.mac);
      return bootFileForArch(config.bootFiles, client.arch ?? ClientArch.BiosX86);
    case 'http': {
      // UEFI HTTP boot firmware ignores an offer whose boot file is not an absolute URL (smee, Warewulf).
      const file = bootFileForArch(config.bootFiles, client.arch ?? ClientArch.HttpEfiX64);
      return file === undefined ? undefined : new URL(file, config.httpBootUrl).href;
    }
    case 'pxe':
      return bootFileForArch(config.bootFiles, client.arch ?? ClientArch.BiosX86);
    default:
      return undefined;
  }
}

function baseEvent(type: DhcpEvent['type'], client: Client): DhcpEvent {
  const event: DhcpEvent = { type, mac: client.mac };
  if (client.arch !== undefined) event.clientArch = client.arch;
  if (client.vendorClass !== undefined) event.vendorClass = client.vendorClass;
  if (client.relay !== undefined) event.relay = client.relay;
  return event;
}

// ---------------------------------------------------------------------------------------------------------------
// Building replies

/**
 * Option values that depend on the configuration alone, encoded once per configuration instead of for every reply
 * (a dozen small Buffers each, which showed in the profile under load). Every reply shares them: the serializer
 * copies values out and nothing writes into them.
 */
interface ConstantOptions {
  messageTypes: Map<number, Buffer>;
  serverIdentifier: Buffer;
  subnetMask: Buffer;
  router: Buffer | undefined;
  dnsServers: Buffer;
  domain: Buffer | undefined;
  leaseTime: Buffer;
  renewalTime: Buffer;
  rebindingTime: Buffer;
  tftpServerName: Buffer;
  vendorClasses: { pxe: Buffer; http: Buffer };
  pxeUseBootFile: Buffer;
  ipxeNoProxyDhcp: Buffer;
}

const constantOptionsByConfig = new WeakMap<DhcpConfig, ConstantOptions>();

function constantOptions(config: DhcpConfig): ConstantOptions {
  let constants = constantOptionsByConfig.get(config);
  if (constants) return constants;
  const lease = config.leaseSeconds;
  const dns = config.dnsServers.length > 0 ? config.dnsServers : [config.serverAddress];
  constants = {
    messageTypes: new Map(Object.values(MessageType).map((type) => [type, encodeUint8(type)])),
    serverIdentifier: encodeIpv4(config.serverAddress),
    subnetMask: encodeIpv4(prefixToNetmask(config.subnet.prefix)),
    router: config.router !== undefined ? encodeIpv4(config.router) : undefined,
    dnsServers: encodeIpv4List(dns),
    domain: config.domain ? encodeString(config.domain) : undefined,
    leaseTime: encodeUint32(lease),
    // RFC 2131 §4.4.5 defaults: renew at half the lease, rebind at seven eighths.
    renewalTime: encodeUint32(Math.floor(lease / 2)),
    rebindingTime: encodeUint32(Math.floor((lease * 7) / 8)),
    tftpServerName: encodeString(config.serverAddress),
    // The PXE spec has servers name themselves PXEClient; UEFI HTTP boot ignores offers without "HTTPClient".
    vendorClasses: { pxe: encodeString('PXEClient'), http: encodeString('HTTPClient') },
    pxeUseBootFile: encodeEncapsulated(
      new Map([[PxeVendorOption.DiscoveryControl, encodeUint8(PXE_DISCOVERY_USE_BOOTFILE)]]),
    ),
    // No ProxyDHCP here, so tell iPXE not to wait several seconds for one (ipxe/include/ipxe/dhcp.h).
    ipxeNoProxyDhcp: encodeEncapsulated(new Map([[IPXE_NO_PXEDHCP, encodeUint8(1)]])),
  };
  constantOptionsByConfig.set(config, constants);
  return constants;
}

function replyTo(request: DhcpPacket, type: number, config: DhcpConfig): DhcpPacket {
  const constants = constantOptions(config);
  const options: DhcpOptions = new Map();
  options.set(DhcpOption.MessageType, constants.messageTypes.get(type) ?? encodeUint8(type));
  options.set(DhcpOption.ServerIdentifier, constants.serverIdentifier);
  // RFC 6842: a server MUST echo the client identifier in DHCPOFFER, DHCPACK and DHCPNAK.
  const clientId = request.options.get(DhcpOption.ClientIdentifier);
  if (clientId) options.set(DhcpOption.ClientIdentifier, clientId);
  // RFC 3046 §2.2: relay agent information goes back unchanged, so the relay can route the reply.
  const relayInfo = request.options.get(DhcpOption.RelayAgentInformation);
  if (relayInfo) options.set(DhcpOption.RelayAgentInformation, relayInfo);
  return {
    op: BOOTREPLY,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: request.flags,
    ciaddr: ZERO_ADDRESS,
    yiaddr: ZERO_ADDRESS,
    siaddr: ZERO_ADDRESS,
    giaddr: request.giaddr,
    chaddr: Buffer.from(request.chaddr),
    sname: '',
    file: '',
    options,
  };
}

function fitsFileField(name: string): boolean {
  return name.length <= FILE_FIELD_MAXIMUM && [...name].every((char) => char.charCodeAt(0) <= 0xff);
}

/** The PXE part of a reply: where to boot from, told both ways because many ROMs read only siaddr/file. */
function addBootOptions(
  reply: DhcpPacket,
  request: DhcpPacket,
  client: Client,
  bootFile: string,
  config: DhcpConfig,
) {
  reply.siaddr = config.serverAddress;
  reply.sname = config.serverAddress;
  if (fitsFileField(bootFile)) reply.file = bootFile;
  const constants = constantOptions(config);
  reply.options.set(DhcpOption.TftpServerName, constants.tftpServerName);
  reply.options.set(DhcpOption.BootFileName, encodeString(bootFile));
  reply.options.set(
    DhcpOption.VendorClass,
    client.netboot === 'http' ? constants.vendorClasses.http : constants.vendorClasses.pxe,
  );
  // PXE 2.1: the client machine identifier goes back as received; ROMs that omit it get none.
  const guid = request.options.get(DhcpOption.ClientMachineIdentifier);
  if (guid) reply.options.set(DhcpOption.ClientMachineIdentifier, guid);
  if (client.netboot === 'pxe') {
    // PXE 2.1: a boot-server reply names the boot item the client asked for.
    const bootItem = readEncapsulated(request.options, DhcpOption.VendorSpecific)?.get(
      PxeVendorOption.BootItem,
    );
    const vendor = bootItem
      ? encodeEncapsulated(
          new Map([
            [PxeVendorOption.DiscoveryControl, encodeUint8(PXE_DISCOVERY_USE_BOOTFILE)],
            [PxeVendorOption.BootItem, bootItem],
          ]),
        )
      : constants.pxeUseBootFile;
    reply.options.set(DhcpOption.VendorSpecific, vendor);
  }
}

interface Assignment {
  address: string;
  host: DhcpHost | undefined;
}

/** Options every address-carrying reply has (RFC 2132 §3, §9); `leased` adds the lease times (not for INFORM). */
function addNetworkOptions(
  reply: DhcpPacket,
  host: DhcpHost | undefined,
  config: DhcpConfig,
  leased: boolean,
) {
  const constants = constantOptions(config);
  // A host's own netmask and gateway, where the inventory gives them, else the subnet's.
  const prefix = host?.netmask !== undefined ? netmaskToPrefix(host.netmask) : undefined;
  const netmask = prefix !== undefined ? encodeIpv4(prefixToNetmask(prefix)) : constants.subnetMask;
  const router =
    host?.gateway !== undefined && isIpv4(host.gateway) ? encodeIpv4(host.gateway) : constants.router;
  reply.options.set(DhcpOption.SubnetMask, netmask);
  if (router !== undefined) reply.options.set(DhcpOption.Router, router);
  reply.options.set(DhcpOption.DomainNameServer, constants.dnsServers);
  if (constants.domain) reply.options.set(DhcpOption.DomainName, constants.domain);
  if (host?.hostname) reply.options.set(DhcpOption.HostName, encodeString(host.hostname));
  if (leased) {
    reply.options.set(DhcpOption.LeaseTime, constants.leaseTime);
    reply.options.set(DhcpOption.RenewalTime, constants.renewalTime);
    reply.options.set(DhcpOption.RebindingTime, constants.rebindingTime);
  }
}

function destinationFor(request: DhcpPacket, unicastToCiaddr: boolean): ReplyDestination {
  if (request.giaddr !== ZERO_ADDRESS) return { kind: 'relay', address: request.giaddr };
  if (unicastToCiaddr && request.ciaddr !== ZERO_ADDRESS) return { kind: 'client', address: request.ciaddr };
  return { kind: 'broadcast' };
}

// ---------------------------------------------------------------------------------------------------------------
// The decision

interface Context {
  request: DhcpRequest;
  packet: DhcpPacket;
  client: Client;
  config: DhcpConfig;
  directory: DhcpDirectory;
  leases: LeaseStore;
  received: DhcpEvent;
}

function ignore(context: Context, reason: string, leaseWrites: LeaseWrite[] = []): DhcpDecision {
  return {
    received: context.received,
    leaseWrites,
    ignored: { ...baseEvent('ignored', context.client), reason },
  };
}

/**
 * Decides the answer to one request. Returns undefined for traffic that is no DHCP request at all (mode off, a
 * BOOTREPLY, plain BOOTP); throws DhcpPacketError when an option the decision needs is malformed.
 */
export async function decideDhcpReply(
  request: DhcpRequest,
  config: DhcpConfig,
  directory: DhcpDirectory,
  leases: LeaseStore,
): Promise<DhcpDecision | undefined> {
  const { packet } = request;
  if (config.mode === 'off' || packet.op !== BOOTREQUEST) return undefined;
  const type = readMessageType(packet.options);
  // Plain BOOTP (no option 53) is not served: nothing bootwright provisions still speaks only RFC 951.
  if (type === undefined) return undefined;
  const client = readClient(packet, type, config);
  const typeName = messageTypeName(type) as MessageTypeName;
  const received = baseEvent(typeName, client);
  const address = client.requestedAddress ?? (packet.ciaddr !== ZERO_ADDRESS ? packet.ciaddr : undefined);
  if (address !== undefined) received.address = address;
  const context: Context = { request, packet, client, config, directory, leases, received };

  // RFC 2131 only defines Ethernet-style 6-byte hardware addresses for what bootwright provisions; InfiniBand and
  // others identify by option 61 alone, which the inventory cannot match.
  if (packet.htype !== ETHERNET || packet.hlen !== 6)
    return ignore(context, `hardware type ${packet.htype} is not Ethernet`);
  if (config.mode === 'proxy') return decideProxy(context);
  if (request.port === 'pxe') return ignore(context, 'the PXE boot-server port is served in proxy mode only');
  return decideAddressing(context);
}

// ---------------------------------------------------------------------------------------------------------------
// Proxy mode

async function decideProxy(context: Context): Promise<DhcpDecision> {
  const { client, packet, config, request } = context;
  const onBootServerPort = request.port === 'pxe';
  // On port 67 a proxy answers only DHCPDISCOVER (PXE 2.1); the REQUEST that follows is for the real
  // DHCP server. On port 4011 it answers the boot-server DHCPREQUEST (and DHCPINFORM, which some ROMs send).
  const expected = onBootServerPort
    ? client.type === MessageType.Request || client.type === MessageType.Inform
    : client.type === MessageType.Discover;
  if (!expected) return ignore(context, `proxy mode does not answer a ${context.received.type} on this port`);
  if (!client.netboot) return ignore(context, 'not a PXE, UEFI HTTP or iPXE client');
  const host = await context.directory.hostByMac(client.mac);
  if (host && !host.netbootEnabled)
    return ignore(context, `netboot is disabled for system ${quote(host.name)}`);
  const bootFile = bootFileFor(client, config);
  // Every architecture with a boot file is answered on both ports: pixiecore refused type 0 on 4011 and left
  // BIOS ROMs that go there stranded (danderson/netboot#132).
  if (bootFile === undefined)
    return ignore(context, `no boot file is configured for client architecture ${client.arch}`);

  const reply = replyTo(packet, onBootServerPort ? MessageType.Ack : MessageType.Offer, config);
  // ProxyDHCP offers carry no address (yiaddr 0); the client merges them with the real DHCP server's offer.
  if (onBootServerPort) reply.ciaddr = packet.ciaddr;
  addBootOptions(reply, packet, client, bootFile, config);
  const destination: ReplyDestination = onBootServerPort
    ? { kind: 'source', address: request.source.address, port: request.source.port }
    : destinationFor(packet, false);
  const event = { ...baseEvent(onBootServerPort ? 'ack' : 'offer', client), bootFile };
  return { received: context.received, leaseWrites: [], reply: { packet: reply, destination, event } };
}

// ---------------------------------------------------------------------------------------------------------------
// Reservation and full modes

/** The address reserved for this host on the served subnet, if it has one. */
function reservationOf(host: DhcpHost | undefined, config: DhcpConfig): string | undefined {
  const address = host?.ipAddress;
  return address !== undefined && isIpv4(address) && inSubnet(address, config.subnet) ? address : undefined;
}

/** Addresses that are on the subnet but belong to no client: its own address and broadcast, and the servers. */
function isInfrastructure(address: string, config: DhcpConfig): boolean {
  const value = ipv4ToInt(address) as number;
  const { network, broadcast } = subnetBounds(config.subnet);
  return (
    value === network ||
    value === broadcast ||
    address === config.serverAddress ||
    address === config.router ||
    config.dnsServers.includes(address)
  );
}

function inPool(address: string, config: DhcpConfig): boolean {
  const value = ipv4ToInt(address);
  if (!config.pool || value === undefined) return false;
  return value >= (ipv4ToInt(config.pool.start) as number) && value <= (ipv4ToInt(config.pool.end) as number);
}

/** A pool address this client may have now: free, its own, or held by a lease that has run out. */
async function poolAddressAvailable(
  context: Context,
  address: string,
  reserved: Set<string>,
): Promise<boolean> {
  const { config, client, request } = context;
  if (!inPool(address, config) || reserved.has(address) || isInfrastructure(address, config)) return false;
  const holder = await context.leases.byAddress(address);
  if (!holder || holder.expiresAt < request.now) return true;
  return holder.mac === client.mac && holder.state !== 'declined';
}

async function firstFreePoolAddress(context: Context, reserved: Set<string>): Promise<string | undefined> {
  const { config, request } = context;
  if (!config.pool) return undefined;
  const taken = new Set(reserved);
  for (const lease of await context.leases.all())
    if (lease.expiresAt >= request.now) taken.add(lease.address);
  const end = ipv4ToInt(config.pool.end) as number;
  for (let value = ipv4ToInt(config.pool.start) as number; value <= end; value += 1) {
    const address = intToIpv4(value);
    if (!taken.has(address) && !isInfrastructure(address, config)) return address;
  }
  return undefined;
}

async function decideAddressing(context: Context): Promise<DhcpDecision> {
  const { client, config } = context;
  if (client.relay !== undefined && !inSubnet(client.relay, config.subnet)) {
    return ignore(
      context,
      `relay ${client.relay} is not on the served subnet ${config.subnet.network}/${config.subnet.prefix}`,
    );
  }
  const host = await context.directory.hostByMac(client.mac);
  const reservation = reservationOf(host, config);
  if (config.mode === 'reservation' && reservation === undefined) {
    return ignore(
      context,
      host
        ? `system ${quote(host.name)} has no address on the served subnet`
        : 'unknown MAC (reservation mode)',
    );
  }
  switch (client.type) {
    case MessageType.Discover:
      return decideDiscover(context, host, reservation);
    case MessageType.Request:
      return decideRequest(context, host, reservation);
    case MessageType.Decline:
      return decideDecline(context, reservation);
    case MessageType.Release:
      return decideRelease(context);
    case MessageType.Inform:
      return decideInform(context, host);
    default:
      return ignore(context, `a client does not send a ${context.received.type}`);
  }
}

function leaseFor(
  context: Context,
  address: string,
  host: DhcpHost | undefined,
  state: 'offered' | 'bound',
): Lease {
  const { config, request, client, packet } = context;
  const seconds = state === 'bound' ? config.leaseSeconds : (config.offerSeconds ?? DEFAULT_OFFER_SECONDS);
  const lease: Lease = { address, mac: client.mac, state, expiresAt: request.now + seconds * 1000 };
  const hostname = host?.hostname ?? client.hostname;
  if (hostname) lease.hostname = hostname;
  const clientId = packet.options.get(DhcpOption.ClientIdentifier);
  if (clientId) lease.clientId = clientId.toString('hex');
  return lease;
}

/** Address, network options and (for netboot clients the inventory lets boot) the boot options. */
function addressReply(
  context: Context,
  type: number,
  assignment: Assignment,
  eventType: 'offer' | 'ack',
): NonNullable<DhcpDecision['reply']> {
  const { packet, client, config } = context;
  const reply = replyTo(packet, type, config);
  reply.yiaddr = assignment.address;
  if (type === MessageType.Ack) reply.ciaddr = packet.ciaddr;
  addNetworkOptions(reply, assignment.host, config, true);
  const event: DhcpEvent = { ...baseEvent(eventType, client), address: assignment.address };
  const bootFile = assignment.host?.netbootEnabled === false ? undefined : bootFileFor(client, config);
  if (bootFile !== undefined) {
    addBootOptions(reply, packet, client, bootFile, config);
    if (client.netboot === 'ipxe')
      reply.options.set(DhcpOption.IpxeEncapsulated, constantOptions(config).ipxeNoProxyDhcp);
    event.bootFile = bootFile;
  }
  return { packet: reply, destination: destinationFor(packet, type === MessageType.Ack), event };
}

async function decideDiscover(
  context: Context,
  host: DhcpHost | undefined,
  reservation: string | undefined,
): Promise<DhcpDecision> {
  const { client, request } = context;
  let address = reservation;
  let current: Lease | undefined;
  if (address === undefined) {
    // RFC 2131 §4.3.1: the client's current or previous address, then the one it asks for, then any free one.
    const reserved = await context.directory.reservedAddresses();
    current = await context.leases.byMac(client.mac);
    for (const candidate of [current?.address, client.requestedAddress]) {
      if (candidate !== undefined && (await poolAddressAvailable(context, candidate, reserved))) {
        address = candidate;
        break;
      }
    }
    address ??= await firstFreePoolAddress(context, reserved);
    if (address === undefined) return ignore(context, 'the address pool is exhausted');
  } else {
    current = await context.leases.byAddress(address);
  }
  // A bound lease stays bound while the client rediscovers it; anything else is held as an offer.
  const stillBound =
    current?.address === address &&
    current.mac === client.mac &&
    current.state === 'bound' &&
    current.expiresAt >= request.now;
  const leaseWrites: LeaseWrite[] = stillBound
    ? []
    : [{ kind: 'upsert', lease: leaseFor(context, address, host, 'offered') }];
  return {
    received: context.received,
    leaseWrites,
    reply: addressReply(context, MessageType.Offer, { address, host }, 'offer'),
  };
}

function nak(context: Context, reason: string, leaseWrites: LeaseWrite[] = []): DhcpDecision {
  const { packet, config, client } = context;
  const reply = replyTo(packet, MessageType.Nak, config);
  reply.options.set(DhcpOption.Message, encodeString(reason));
  // RFC 2131 §4.3.2: a DHCPNAK through a relay has the broadcast bit set; without one it is always broadcast.
  if (packet.giaddr !== ZERO_ADDRESS) reply.flags |= BROADCAST_FLAG;
  const event: DhcpEvent = { ...baseEvent('nak', client), reason };
  if (context.received.address !== undefined) event.address = context.received.address;
  return {
    received: context.received,
    leaseWrites,
    reply: { packet: reply, destination: destinationFor(packet, false), event },
  };
}

async function decideRequest(
  context: Context,
  host: DhcpHost | undefined,
  reservation: string | undefined,
): Promise<DhcpDecision> {
  const { client, config, packet } = context;
  if (client.serverIdentifier !== undefined && client.serverIdentifier !== config.serverAddress) {
    // RFC 2131 §4.3.2: the client took another server's offer; ours is free again.
    const offered = await context.leases.byMac(client.mac);
    const writes: LeaseWrite[] =
      offered?.state === 'offered' ? [{ kind: 'release', address: offered.address }] : [];
    return ignore(context, `the client chose server ${client.serverIdentifier}`, writes);
  }
  // SELECTING and INIT-REBOOT name the address in option 50; RENEWING and REBINDING in ciaddr (RFC 2131 §4.3.2).
  const wanted = client.requestedAddress ?? (packet.ciaddr !== ZERO_ADDRESS ? packet.ciaddr : undefined);
  if (wanted === undefined) return ignore(context, 'the request names no address');
  if (!inSubnet(wanted, config.subnet)) {
    return nak(
      context,
      `${wanted} is not on this network (${config.subnet.network}/${config.subnet.prefix})`,
    );
  }
  if (reservation !== undefined) {
    if (wanted !== reservation) return nak(context, `${wanted} is not the address reserved for this machine`);
  } else {
    const reserved = await context.directory.reservedAddresses();
    if (!(await poolAddressAvailable(context, wanted, reserved))) {
      return nak(context, `${wanted} is not available to this client`);
    }
    // An address the client asks for without a record here (a lost lease file, another server's old lease) is
    // acknowledged when it is free in the pool, as ISC dhcpd and dnsmasq do when authoritative, rather than
    // making the client start over.
  }
  const lease = leaseFor(context, wanted, host, 'bound');
  return {
    received: context.received,
    leaseWrites: [{ kind: 'upsert', lease }],
    reply: addressReply(context, MessageType.Ack, { address: wanted, host }, 'ack'),
  };
}

async function decideDecline(context: Context, reservation: string | undefined): Promise<DhcpDecision> {
  const { client, config, request } = context;
  const address = client.requestedAddress;
  if (client.serverIdentifier !== undefined && client.serverIdentifier !== config.serverAddress) {
    return ignore(context, `the decline is for server ${client.serverIdentifier}`);
  }
  if (address === undefined) return ignore(context, 'the decline names no address (option 50)');
  if (address === reservation) {
    // RFC 2131 §4.3.3 says to mark the address unusable, but a reservation has no other address to give.
    return ignore(context, `${address} is reserved for this machine and another host answers ARP for it`);
  }
  const holder = await context.leases.byAddress(address);
  if (!inPool(address, config) || (holder && holder.mac !== client.mac)) {
    return ignore(context, `${address} is not leased to this client`);
  }
  // RFC 2131 §4.3.3: the address is in use by something else; keep it out of the pool for a while.
  const seconds = config.declineSeconds ?? DEFAULT_DECLINE_SECONDS;
  const lease: Lease = {
    address,
    mac: client.mac,
    state: 'declined',
    expiresAt: request.now + seconds * 1000,
  };
  return { received: context.received, leaseWrites: [{ kind: 'upsert', lease }] };
}

async function decideRelease(context: Context): Promise<DhcpDecision> {
  const { client, packet, config } = context;
  if (client.serverIdentifier !== undefined && client.serverIdentifier !== config.serverAddress) {
    return ignore(context, `the release is for server ${client.serverIdentifier}`);
  }
  const holder = await context.leases.byAddress(packet.ciaddr);
  if (!holder || holder.mac !== client.mac || holder.state === 'declined') {
    return ignore(context, `${packet.ciaddr} is not leased to this client`);
  }
  // RFC 2131 §4.3.4: the address is free again. A reservation stays reserved; only its lease record goes.
  return { received: context.received, leaseWrites: [{ kind: 'release', address: packet.ciaddr }] };
}

async function decideInform(context: Context, host: DhcpHost | undefined): Promise<DhcpDecision> {
  const { packet, config, client } = context;
  if (packet.ciaddr === ZERO_ADDRESS || !inSubnet(packet.ciaddr, config.subnet)) {
    return ignore(context, 'the inform comes from no address on the served subnet');
  }
  // RFC 2131 §4.3.5: configuration only; no yiaddr and no lease time, unicast to ciaddr.
  const reply = replyTo(packet, MessageType.Ack, config);
  reply.ciaddr = packet.ciaddr;
  addNetworkOptions(reply, host, config, false);
  const event: DhcpEvent = { ...baseEvent('ack', client), address: packet.ciaddr };
  return {
    received: context.received,
    leaseWrites: [],
    reply: { packet: reply, destination: destinationFor(packet, true), event },
  };
}
