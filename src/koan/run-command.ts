// How koan runs host tools (virsh, qemu-img, lvcreate, grub): execFile with an argument list, never a shell line,
// so a VM or volume name from the server cannot become a command. A failure is one sentence with the tool's own
// last error line; a missing tool names the Debian package that has it.

import { execFile } from 'node:child_process';
import { BootwrightError, quote } from '../errors.js';

export type RunCommand = (command: string, args: readonly string[], input?: string) => Promise<string>;

const packageOf: Record<string, string> = {
  virsh: 'libvirt-clients',
  'qemu-img': 'qemu-utils',
  lvcreate: 'lvm2',
  vgs: 'lvm2',
  lvs: 'lvm2',
  'update-grub': 'grub2-common',
  'grub-mkconfig': 'grub2-common',
};

export const runCommand: RunCommand = (command, args, input) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LANG: 'C', LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          const pkg = packageOf[command];
          reject(
            new BootwrightError(
              'E_UNAVAILABLE',
              `${quote(command)} is not installed${pkg ? `; install the ${pkg} package` : ''}.`,
            ),
          );
          return;
        }
        const detail =
          String(stderr)
            .trim()
            .split('\n')
            .filter((line) => line.trim() !== '')
            .join(' ')
            .replace(/^error:\s*/i, '') || error.message;
        reject(new BootwrightError('E_UNAVAILABLE', `${command} ${args[0] ?? ''} failed: ${detail}`));
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
