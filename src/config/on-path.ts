// Whether a host tool (virsh, ipmitool, cpio...) can be run: found in a directory of $PATH, as execFile looks.

import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, tool)));
}
