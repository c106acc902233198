// `bootwright system poweron|poweroff|reboot|powerstatus|reinstall --name=GLOB`: Cobbler's power verbs (and a
// reinstall), for one system or every system the glob matches, all at once: one slow BMC does not hold up the
// others. One line per system; a failure goes to stderr with the BMC's answer, and the exit status says so.

import { BootwrightError, notFound, quote } from '../errors.js';
import type { PowerAction } from '../power/contract.js';
import type { PowerResult } from '../power/power-control.js';
import type { OpenBackend } from './backend.js';
import { formatJson } from './format.js';
import { type Invocation, requireOption } from './invocation.js';

export const powerVerbs = {
  poweron: 'on',
  poweroff: 'off',
  reboot: 'reboot',
  powerstatus: 'status',
  reinstall: 'reinstall',
} as const satisfies Record<string, PowerAction | 'reinstall'>;
export type PowerVerb = keyof typeof powerVerbs;

export function isPowerVerb(action: string): action is PowerVerb {
  return action in powerVerbs;
}

function describe(result: PowerResult): string {
  const took = `${result.driver || 'no driver'}, ${(result.ms / 1000).toFixed(1)} s`;
  if (result.action === 'status') return `${result.system}: ${result.state ?? 'unknown'} (${took})`;
  return `${result.system}: ${result.action} done (${took}): ${result.message}`;
}

export async function runPowerCommand(
  verb: PowerVerb,
  invocation: Invocation,
  opened: OpenBackend,
): Promise<number> {
  const glob = requireOption(invocation, 'name');
  const systems = (await opened.backend.list('system', { criteria: { name: glob } })).map(
    (system) => system.name,
  );
  if (systems.length === 0)
    throw notFound(`No system matches --name=${quote(glob)}; "bootwright system list" lists them.`);
  const action = powerVerbs[verb];
  const results = await Promise.all(systems.map((system) => opened.power(system, action)));
  const { io } = invocation;
  if (invocation.format === 'json') io.stdout.write(formatJson(results));
  for (const result of results) {
    if (result.ok && invocation.format !== 'json') io.stdout.write(`${describe(result)}\n`);
    if (!result.ok) io.stderr.write(`bootwright: ${result.message}\n`);
  }
  const failed = results.filter((result) => !result.ok).length;
  return failed === 0 ? 0 : new BootwrightError('E_UNAVAILABLE', '').exitCode;
}
