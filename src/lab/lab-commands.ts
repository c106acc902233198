// `bootwright lab up|boot|status|down`: reads the flags and runs the lab (src/lab/lab.ts, src/lab/lab-boot.ts).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../cli/args.js';
import { type CliMain, flagGiven, type Invocation, optionValue, requireOption } from '../cli/invocation.js';
import { quote } from '../errors.js';
import {
  defaultLabName,
  isAlive,
  isOurs,
  type LabOptions,
  labDown,
  labFlags,
  labPaths,
  labUp,
  namespaceExists,
  readLabState,
  requireMachine,
} from './lab.js';
import { labBoot } from './lab-boot.js';
import { labLibvirtdAlive, virsh } from './libvirtd.js';

const defaultTimeoutSeconds = 600;

export async function runLabCommand(
  action: string,
  invocation: Invocation,
  dataDir: string,
  runCli: CliMain,
): Promise<number> {
  const name = optionValue(invocation, 'lab_name') ?? defaultLabName;
  // Interface names inside the namespace are fixed; the namespace name is what `ip netns` shows.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw usageError(`Lab name ${quote(name)} must be letters, digits, ".", "_" or "-".`);
  }
  const options: LabOptions = {
    name,
    labDir: optionValue(invocation, 'lab_dir') ?? join(dataDir, 'lab'),
    userDataDir: dataDir,
    runCli,
  };
  const io = invocation.io;
  switch (action) {
    case 'up': {
      const cacheDir = optionValue(invocation, 'cache_dir');
      return labUp(cacheDir === undefined ? options : { ...options, cacheDir }, io);
    }
    case 'down':
      return labDown({ ...options, purge: flagGiven(invocation, 'purge') }, io);
    case 'status':
      return labStatus(options, invocation);
    case 'boot':
      return labBoot(
        {
          ...options,
          system: requireOption(invocation, 'system'),
          mode: bootMode(invocation),
          timeoutMs: timeoutSeconds(optionValue(invocation, 'timeout')) * 1000,
          firstBoot: flagGiven(invocation, 'first_boot'),
        },
        io,
      );
  }
  throw usageError(`Unknown action ${quote(action)} for "bootwright lab"; it takes up, boot, status, down.`);
}

function bootMode(invocation: Invocation): 'pxe' | 'koan' {
  const pxe = flagGiven(invocation, 'pxe');
  const koan = flagGiven(invocation, 'koan');
  if (pxe === koan) {
    throw usageError(
      '"bootwright lab boot" needs one of --pxe (QEMU network boot) or --koan (koan through libvirt).',
    );
  }
  return pxe ? 'pxe' : 'koan';
}

function timeoutSeconds(value: string | undefined): number {
  if (value === undefined) return defaultTimeoutSeconds;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw usageError(`--timeout=${quote(value)} must be a whole number of seconds above 0.`);
  }
  return seconds;
}

async function labStatus(options: LabOptions, invocation: Invocation): Promise<number> {
  const io = invocation.io;
  requireMachine([['ip', 'iproute2']], io);
  const paths = labPaths(options.labDir);
  const state = readLabState(paths, options.name);
  const write = (text: string) => io.stdout.write(text);
  const namespace = namespaceExists(options.name);
  const server = isOurs(state.server, 'serve');
  write(`Lab ${options.name}: ${namespace && server ? 'up' : 'down'}\n`);
  write(`  namespace  ${options.name}${namespace ? '' : ' (absent)'}\n`);
  write(
    `  server     ${state.server === undefined ? 'not started' : `pid ${state.server} ${server ? 'running' : 'not running'}`}, log ${paths.serverLog}\n`,
  );
  const libvirt = state.libvirtd !== undefined && labLibvirtdAlive(state.libvirtd);
  write(
    `  libvirtd   ${state.libvirtd === undefined ? 'not started (lab boot --koan starts it)' : `pid ${state.libvirtd.libvirtd}, virtlogd pid ${state.libvirtd.virtlogd}, ${libvirt ? 'running' : 'not running'}`}\n`,
  );
  write(`  data       ${paths.dataDir}\n`);
  const guests = Object.entries(state.guests).map(([system, guest]) =>
    guest.mode === 'pxe'
      ? `${system}: QEMU pid ${guest.pid} ${isAlive(guest.pid) ? 'running' : 'gone'} on ${guest.tap}`
      : `${system}: koan through libvirt`,
  );
  write(`  guests     ${guests.length === 0 ? 'none running' : guests.join('; ')}\n`);
  if (libvirt) {
    try {
      const domains = virsh(['list', '--all']).trim();
      write(`  libvirt domains:\n${domains.replace(/^/gm, '    ')}\n`);
    } catch (error) {
      write(`  libvirt domains: ${(error as Error).message}\n`);
    }
  }
  write('\n');
  if (!namespace || !server) {
    write(`Start it with "bootwright lab up ${labFlags(options)}".\n`);
  }
  if (!existsSync(paths.dataDir)) return 0;
  return options.runCli(['--data-dir', paths.dataDir, 'status'], io);
}
