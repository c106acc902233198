// What an installer reports while it runs, whichever API it calls. A step of its install (Cobbler's `trig`,
// cobbler-koan.md §4.1) becomes an `install.pre|post|firstboot` event of the install timeline, and the
// install/<mode>/ triggers start in the background with (type, name, ip) when the run_install_triggers setting is
// on. Its logs (Cobbler's anamon) are kept per system when the anamon_enabled setting is on.

import { BootwrightError, invalid, quote } from '../errors.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import { type InstallLogFile, writeInstallLogChunk } from '../triggers/install-logs.js';
import { type InstallMode, installModes } from '../triggers/trigger-runner.js';
import type { ApiServices } from './services.js';

export function parseInstallMode(value: string | undefined): InstallMode {
  const mode = installModes.find((candidate) => candidate === value);
  if (!mode) throw invalid(`Install step ${quote(value ?? '')} is not one of ${installModes.join(', ')}.`);
  return mode;
}

/**
 * Returns whether triggers will run for this report (started, queued, or joined to the same run); the runner
 * bounds them. The object must exist; the installer's address may be unknown.
 */
export async function reportInstallStep(
  services: ApiServices,
  mode: InstallMode,
  target: AutoinstallTarget,
  source: string | undefined,
): Promise<boolean> {
  const { inventory, events, triggers } = services;
  await inventory.get(target.kind, target.name);
  const ip = source?.replace(/^::ffff:/, '') || undefined;
  // A profile install names no system; the event bus finds it by the installer's address when it can.
  events?.publish({
    type: `install.${mode}`,
    ...(target.kind === 'system' ? { system: target.name } : ip ? { ip } : {}),
    ...(ip ? { source: ip } : {}),
    detail: { [target.kind]: target.name },
  });
  if (!triggers || (await inventory.settings()).run_install_triggers !== true) return false;
  return triggers.startInstallTriggers(mode, target, ip);
}

/** Keeps one chunk of an installer's log; see writeInstallLogChunk for what the offset means. */
export async function receiveInstallLog(
  services: ApiServices,
  system: string,
  file: string,
  chunk: Uint8Array,
  offset?: number,
): Promise<InstallLogFile> {
  const { inventory, dataDir } = services;
  if (!dataDir) throw new BootwrightError('E_UNAVAILABLE', 'This server keeps no install logs.');
  if ((await inventory.settings()).anamon_enabled !== true) {
    throw new BootwrightError(
      'E_FORBIDDEN',
      'Install log upload is off; turn it on with "bootwright setting edit --name=anamon_enabled --value=true".',
    );
  }
  await inventory.get('system', system);
  return writeInstallLogChunk(dataDir, system, file, chunk, offset);
}
