// The installer's kernel command line, per breed (cobbler-koan.md §6.1): the blended kernel options (with `!key`
// removals already applied by the resolver) plus what each installer needs to find its autoinstall file.

import type { BlendedView } from '../model/blend.js';
import { usesLegacyKs } from '../model/default-autoinstall.js';
import type { KvDict } from '../model/kinds.js';
import { kvToString } from '../model/kv.js';
import { type AutoinstallTarget, autoinstallUrl } from './install-urls.js';

/** Cobbler warns from here: several pxelinux and GRUB builds cut longer APPEND lines. */
export const bootLoaderLineLimit = 1023;
/** COMMAND_LINE_SIZE of Linux on x86. */
export const linuxCommandLineLimit = 2048;

export interface KernelCommandLine {
  options: string;
  warnings: string[];
}

// RHEL up to 6 and Fedora up to 16 take `ks=`; later Anaconda wants `inst.ks=`. The same line picks legacy.ks.
export { usesLegacyKs };

function installerOptions(view: BlendedView, target: AutoinstallTarget): KvDict {
  const url = autoinstallUrl(view, target);
  const breed = String(view.breed ?? '');
  const tree = (view.autoinstall_meta as KvDict | undefined)?.tree;
  switch (breed) {
    case 'redhat': {
      if (usesLegacyKs(String(view.os_version ?? ''))) return { kssendmac: null, ks: url };
      const options: KvDict = { 'inst.ks.sendmac': null, 'inst.ks': url };
      if (typeof tree === 'string' && tree) options['inst.repo'] = tree;
      return options;
    }
    case 'suse':
      return { autoyast: url };
    case 'debian':
    case 'ubuntu': {
      const hostname = String(view.hostname || view.system_name || view.profile_name || '');
      const [shortName, ...domain] = hostname.split('.');
      return {
        'auto-install/enable': 'true',
        priority: 'critical',
        'netcfg/choose_interface': 'auto',
        url,
        hostname: shortName ?? '',
        domain: domain.join('.') || 'local.lan',
        ...(view.os_version ? { suite: String(view.os_version) } : {}),
      };
    }
    case 'vmware':
    case 'freebsd':
      return { ks: url };
    default:
      return {};
  }
}

export function buildKernelCommandLine(view: BlendedView, target: AutoinstallTarget): KernelCommandLine {
  const options: KvDict = { ...((view.kernel_options ?? {}) as KvDict) };
  const serial = String(view.serial_device ?? '');
  if (serial !== '') options.console = `ttyS${serial},${String(view.serial_baud_rate || '115200')}`;
  // The user's own keys win over the breed defaults, as in Cobbler.
  const line = kvToString({ ...installerOptions(view, target), ...options });
  const warnings: string[] = [];
  if (line.length >= linuxCommandLineLimit) {
    warnings.push(
      `Kernel command line of ${target.kind} "${target.name}" is ${line.length} characters, over the Linux limit of ${linuxCommandLineLimit}; shorten its kernel options.`,
    );
  } else if (line.length > bootLoaderLineLimit) {
    warnings.push(
      `Kernel command line of ${target.kind} "${target.name}" is ${line.length} characters; some boot loaders cut lines over ${bootLoaderLineLimit}.`,
    );
  }
  return { options: line, warnings };
}
