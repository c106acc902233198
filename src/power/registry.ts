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

/** The tool a native driver runs, and the Debian package that has it. */
export const driverTools: Record<string, { tool: string; debianPackage: string }> = {
  ipmi: { tool: 'ipmitool', debianPackage: 'ipmitool' },
  libvirt: { tool: 'virsh', debianPackage: 'libvirt-clients' },
};

/** Why power settings of this type and address cannot work, for `check`; undefined when they look usable. */
export function powerProblem(type: string, address: string): { problem: string; fix: string } | undefined {
  const native = nativeDrivers[type];
  if (!native && !fenceAgentPath(type)) {
    return {
      problem: `power type ${type} needs fence_${type}, which is not installed`,
      fix: 'apt-get install fence-agents, or set --power-type (redfish, ipmilanplus, libvirt)',
    };
  }
  // A fence agent may need no address (fence_dummy, fence_scsi); libvirt defaults to this host.
  if (address === '' && (native === redfishDriver || native === ipmiDriver)) {
    return {
      problem: `power type ${type} has no address to reach the BMC at`,
      fix: 'bootwright system edit --name=NAME --power-address=BMC',
    };
  }
  return undefined;
}

/** The driver's name for a power type (native or fence agent), as driverTools keys it. */
export function driverNameOf(type: string): string {
  return nativeDrivers[type]?.name ?? `fence_${type}`;
}
