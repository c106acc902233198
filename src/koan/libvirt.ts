// libvirt through `virsh -c URI` (execFile, argument lists only): what koan needs of a hypervisor host. Domain XML
// goes through a private temporary file, since virsh reads definitions from files.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BootwrightError, quote } from '../errors.js';
import type { VirtType } from './domain-xml.js';
import type { RunCommand } from './run-command.js';

export interface DomainState {
  /** virsh's words: running, paused, shut off, crashed, in shutdown, pmsuspended, idle. */
  state: string;
  /** Why, when libvirt says: shutdown, crashed, destroyed, booted, unknown... */
  reason: string;
}

/** The libvirt URI a virt type talks to unless --connect says otherwise. */
export function defaultUri(virtType: VirtType | 'auto'): string {
  return virtType === 'xenpv' || virtType === 'xenfv' ? 'xen:///system' : 'qemu:///system';
}

export class Libvirt {
  constructor(
    readonly uri: string,
    private readonly run: RunCommand,
  ) {}

  virsh(args: readonly string[]): Promise<string> {
    return this.run('virsh', ['-c', this.uri, ...args]);
  }

  /** A RunCommand that sends virsh calls to this connection (for storage pools). */
  get runner(): RunCommand {
    return (command, args, input) =>
      command === 'virsh'
        ? this.run('virsh', ['-c', this.uri, ...args], input)
        : this.run(command, args, input);
  }

  /** Fails with the fix when the hypervisor cannot be reached, before anything is created. */
  async checkConnection(): Promise<void> {
    try {
      await this.virsh(['uri']);
    } catch (error) {
      const detail = (error as Error).message.replace(/^virsh uri failed: /, '');
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `Cannot connect to libvirt at ${this.uri} (${detail}); start libvirtd (and virtlogd), or say --connect=URI.`,
      );
    }
  }

  async capabilities(): Promise<string> {
    return this.virsh(['capabilities']);
  }

  /** `auto`: kvm when libvirt offers it, else qemu; Xen when the host runs Xen (as Koan decides, from the host). */
  async pickVirtType(): Promise<VirtType> {
    const caps = await this.capabilities();
    if (/<os_type>xen<\/os_type>/.test(caps)) return 'xenpv';
    if (/<domain type='kvm'/.test(caps)) return 'kvm';
    if (/<domain type='qemu'/.test(caps)) return 'qemu';
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `libvirt at ${this.uri} offers no qemu, kvm or Xen guests; install qemu-system-x86 or say --virt-type.`,
    );
  }

  async exists(name: string): Promise<boolean> {
    const names = await this.virsh(['list', '--all', '--name']);
    return names.split('\n').some((line) => line.trim() === name);
  }

  async state(name: string): Promise<DomainState> {
    const line = (await this.virsh(['domstate', name, '--reason'])).trim();
    const match = /^(.*?)\s*\((.*)\)$/.exec(line);
    return match ? { state: match[1] as string, reason: match[2] as string } : { state: line, reason: '' };
  }

  private async withXmlFile<T>(xml: string, use: (path: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'bootwright-koan-'));
    try {
      const path = join(dir, 'domain.xml');
      await writeFile(path, xml, { mode: 0o600 });
      return await use(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Starts a domain from XML without keeping the definition: it is gone once it stops. */
  createTransient(xml: string): Promise<string> {
    return this.withXmlFile(xml, (path) => this.virsh(['create', path]));
  }

  define(xml: string): Promise<string> {
    return this.withXmlFile(xml, (path) => this.virsh(['define', path]));
  }

  start(name: string): Promise<string> {
    return this.virsh(['start', name]);
  }

  setAutostart(name: string): Promise<string> {
    return this.virsh(['autostart', name]);
  }

  /** Takes a domain away entirely (running instance and definition); quiet about what is not there. */
  async remove(name: string): Promise<void> {
    await this.virsh(['destroy', name]).catch(() => undefined);
    await this.virsh(['undefine', name, '--nvram']).catch(() =>
      this.virsh(['undefine', name]).catch(() => undefined),
    );
  }

  async dumpXml(name: string, inactive = false): Promise<string> {
    return this.virsh(['dumpxml', ...(inactive ? ['--inactive'] : []), name]);
  }
}

export function describeState(name: string, state: DomainState): string {
  return `virtual machine ${quote(name)} is ${state.state}${state.reason ? ` (${state.reason})` : ''}`;
}
