// What every power driver does, whatever it speaks (Redfish, IPMI, libvirt, a fence agent): the four verbs of
// Cobbler's `system poweron|poweroff|reboot|powerstatus`, and, where the hardware can, "boot from the network
// next time only", which a one-command reinstall needs. A driver is told everything it needs per call: drivers
// keep no credentials.

export type PowerAction = 'on' | 'off' | 'reboot' | 'status';
export const powerActions: readonly PowerAction[] = ['on', 'off', 'reboot', 'status'];
export type PowerState = 'on' | 'off';
export type NextBoot = 'pxe' | 'disk';

/** A system's power_* fields, blended (a profile or the settings may give the type). */
export interface PowerTarget {
  /** The system's name, for messages. */
  system: string;
  /** power_type: which driver, or which fence agent (`fence_TYPE`). */
  type: string;
  /** power_address: a BMC's host[:port] or URL; for libvirt, the URI. */
  address: string;
  user: string;
  /** Never printed, logged or put in an event. */
  password: string;
  /** power_id: the BMC's system id, a fence agent's plug, a libvirt domain. */
  id: string;
  /** power_options, parsed: `key=value` pairs (fence agents' long option names without dashes). */
  options: Record<string, string>;
  identityFile: string;
}

/** What the BMC answered, for the event and the command's line: never holds the password. */
export interface PowerOutcome {
  state?: PowerState;
  said: string;
}

export interface PowerDriver {
  /** As the timeline and messages name it: "redfish", "ipmi", "libvirt", "fence_apc". */
  readonly name: string;
  /** `off` is a hard power-off (as Cobbler's fence agents do), not a shutdown request. */
  run(action: PowerAction, target: PowerTarget, signal: AbortSignal): Promise<PowerOutcome>;
  /** Absent where the hardware cannot be told (most fence agents). */
  setNextBoot?(device: NextBoot, target: PowerTarget, signal: AbortSignal): Promise<PowerOutcome>;
}

/** `power_options` as Cobbler writes it (lines or spaces of key=value) to a map; a bare word means "=1". */
export function parsePowerOptions(text: string): Record<string, string> {
  const options: Record<string, string> = {};
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    const equals = word.indexOf('=');
    const key = (equals < 0 ? word : word.slice(0, equals)).replace(/^-+/, '').replaceAll('-', '_');
    options[key] = equals < 0 ? '1' : word.slice(equals + 1);
  }
  return options;
}
