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
        // virsh says "error: Failed to create domain from /tmp/x.xml" before the reason: keep the reason.
        const detail =
          String(stderr)
            .split('\n')
            .map((line) => line.trim().replace(/^error:\s*/i, ''))
            .filter((line) => line !== '' && !/^Failed to \w+ domain from /.test(line))
            .join('; ') || error.message;
        const verb = command === 'virsh' && args[0] === '-c' ? args[2] : args[0];
        reject(new BootwrightError('E_UNAVAILABLE', `${command} ${verb ?? ''} failed: ${detail}`));
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
