// Tiny real RPMs and a real dnf repository of them, made by rpmbuild and createrepo_c, for reposync's tests.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface RpmSpec {
  name: string;
  version?: string;
  /** noarch unless given; x86_64 builds on an x86_64 machine. */
  arch?: string;
  requires?: string[];
  provides?: string[];
  /** Also build its source RPM (arch `src`). */
  source?: boolean;
}

export async function run(command: string, args: string[]): Promise<string> {
  try {
    return (await execFileAsync(command, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const { stderr = '', message } = error as { stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed: ${stderr.trim().split('\n').slice(-5).join('\n') || message}`,
    );
  }
}

/** Builds each package with `rpmbuild -bb` under `work`; returns the RPM files' paths. */
export async function buildRpms(work: string, specs: RpmSpec[]): Promise<string[]> {
  const topdir = join(work, 'rpmbuild');
  mkdirSync(topdir, { recursive: true });
  for (const spec of specs) {
    const specFile = join(work, `${spec.name}.spec`);
    writeFileSync(
      specFile,
      [
        `Name: ${spec.name}`,
        `Version: ${spec.version ?? '1.0'}`,
        'Release: 1',
        `Summary: ${spec.name} for reposync tests`,
        'License: MIT',
        `BuildArch: ${spec.arch ?? 'noarch'}`,
        ...(spec.requires ?? []).map((requirement) => `Requires: ${requirement}`),
        ...(spec.provides ?? []).map((capability) => `Provides: ${capability}`),
        '%description',
        `${spec.name}, built by a bootwright test.`,
        '%install',
        `mkdir -p %{buildroot}/usr/share/${spec.name}`,
        `echo ${spec.name} > %{buildroot}/usr/share/${spec.name}/README`,
        '%files',
        `/usr/share/${spec.name}/README`,
        '',
      ].join('\n'),
    );
    await run('rpmbuild', [
      spec.source ? '-ba' : '-bb',
      '--quiet',
      '--define',
      `_topdir ${topdir}`,
      specFile,
    ]);
  }
  const rpmsDir = join(topdir, 'RPMS');
  const sourcesDir = join(topdir, 'SRPMS');
  return [
    ...readdirSync(rpmsDir).flatMap((arch) =>
      readdirSync(join(rpmsDir, arch)).map((file) => join(rpmsDir, arch, file)),
    ),
    ...(existsSync(sourcesDir) ? readdirSync(sourcesDir).map((file) => join(sourcesDir, file)) : []),
  ];
}

/** Copies the RPMs into `root/Packages/` and makes `root` a dnf repository with createrepo_c. */
export async function makeRpmRepo(
  root: string,
  rpms: string[],
  createrepoArgs: string[] = [],
): Promise<void> {
  mkdirSync(join(root, 'Packages'), { recursive: true });
  for (const rpm of rpms) copyFileSync(rpm, join(root, 'Packages', rpm.split('/').pop() ?? ''));
  await run('createrepo_c', ['--quiet', ...createrepoArgs, root]);
}
