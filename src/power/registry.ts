// Which driver a power_type names. The native drivers take the names Cobbler sites already use for the same
// hardware (its power types are fence agents' names), so their systems keep working; any other type is the fence
// agent of that name, as in Cobbler.

import { BootwrightError } from '../errors.js';
import type { PowerDriver } from './contract.js';
import { fenceAgentDriver, fenceAgentPath } from './fence-agent.js';
import { ipmiDriver } from './ipmi.js';
import { libvirtDriver } from './libvirt.js';
import { redfishDriver } from './redfish.js';

const nativeDrivers: Record<string, PowerDriver> = {
  redfish: redfishDriver,
  ipmi: ipmiDriver,
  ipmilan: ipmiDriver,
  ipmilanplus: ipmiDriver,
  ipmitool: ipmiDriver,
  libvirt: libvirtDriver,
  virsh: libvirtDriver,
};

export function powerDriverFor(system: string, type: string): PowerDriver {
  if (type === '') {
    throw new BootwrightError(
      'E_INVALID',
      `System ${system} has no power type; set --power-type (redfish, ipmilanplus, libvirt, or a fence agent's name).`,
    );
  }
  return nativeDrivers[type] ?? fenceAgentDriver(type);
}

/** Why a system's power settings cannot work, for `check`; undefined when they look usable. */
export function powerProblem(view: { type: string; address: string; system: string }): string | undefined {
  if (view.type === '') return undefined;
  const native = nativeDrivers[view.type];
  if (!native && !fenceAgentPath(view.type)) {
    return `power type ${view.type} needs fence_${view.type}, which is not installed: install fence-agents or set --power-type`;
  }
  if (view.address === '' && native !== libvirtDriver) {
    return `power type ${view.type} has no --power-address to reach the BMC at`;
  }
  return undefined;
}
