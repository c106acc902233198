// The IPMI power driver: Debian's ipmitool over IPMI 2.0 (`-I lanplus`). The password goes through the
// environment (`-E` reads IPMI_PASSWORD), never the command line, where any user's `ps` would see it.
// Options: ipport (the BMC's UDP port, default 623), privlvl, cipher (ipmitool's -C).

import { BootwrightError } from '../errors.js';
import type { NextBoot, PowerAction, PowerDriver, PowerOutcome, PowerTarget } from './contract.js';
import { lastLine, runTool } from './run-tool.js';

const chassisVerb: Record<PowerAction, string> = { on: 'on', off: 'off', reboot: 'cycle', status: 'status' };

function baseArgs(target: PowerTarget): string[] {
  const [host, portInAddress] = target.address.split(/:(?=\d+$)/);
  if (!host) {
    throw new BootwrightError(
      'E_INVALID',
      `System ${target.system} has no power address; set --power-address.`,
    );
  }
  const port = target.options.ipport ?? portInAddress;
  return [
    ...['-I', 'lanplus', '-H', host],
    ...(port ? ['-p', port] : []),
    ...['-U', target.user, '-E'],
    ...(target.options.privlvl ? ['-L', target.options.privlvl] : []),
    ...(target.options.cipher ? ['-C', target.options.cipher] : []),
    // A few seconds per request: the action's own deadline bounds the whole. -v: ipmitool then says why a session
    // failed (a wrong password and an unreachable BMC otherwise end in the same last line).
    ...['-N', '2', '-R', '2', '-v'],
  ];
}

async function ipmitool(target: PowerTarget, args: string[], signal: AbortSignal): Promise<string> {
  const run = await runTool('ipmitool', [...baseArgs(target), ...args], {
    signal,
    env: { IPMI_PASSWORD: target.password },
    system: target.system,
  });
  if (run.code === 0) return run.stdout.trim();
  const said = lastLine(run);
  const output = `${run.stderr}\n${run.stdout}`;
  if (/RAKP 2 HMAC is invalid|unauthorized name|invalid user name|password/i.test(output)) {
    throw new BootwrightError(
      'E_UNAUTHORIZED',
      `System ${target.system}: the IPMI BMC at ${target.address} refused user ${JSON.stringify(target.user)} and its password; check --power-user and --power-pass.`,
    );
  }
  if (/Get Auth Capabilities error|Error issuing Get Channel Authentication/.test(output)) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `System ${target.system}: the IPMI BMC at ${target.address} does not answer; check --power-address and the network.`,
    );
  }
  throw new BootwrightError(
    'E_UNAVAILABLE',
    `System ${target.system}: ipmitool against ${target.address}: ${said}.`,
  );
}

export const ipmiDriver: PowerDriver = {
  name: 'ipmi',

  async run(action: PowerAction, target: PowerTarget, signal: AbortSignal): Promise<PowerOutcome> {
    const said = await ipmitool(target, ['chassis', 'power', chassisVerb[action]], signal);
    if (action === 'status') {
      const state = /Chassis Power is (on|off)/i.exec(said)?.[1]?.toLowerCase();
      if (state !== 'on' && state !== 'off') {
        throw new BootwrightError(
          'E_UNAVAILABLE',
          `System ${target.system}: ipmitool said ${JSON.stringify(said)}, not the power state.`,
        );
      }
      return { state, said };
    }
    return { said, state: action === 'off' ? 'off' : 'on' };
  },

  async setNextBoot(device: NextBoot, target: PowerTarget, signal: AbortSignal): Promise<PowerOutcome> {
    // Without "options=persistent" the BMC keeps the device for the next boot only.
    const said = await ipmitool(target, ['chassis', 'bootdev', device === 'pxe' ? 'pxe' : 'disk'], signal);
    return { said };
  },
};
