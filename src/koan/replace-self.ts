// --replace-self and --update-files: koan acting on the host it runs on (cobbler-koan.md §7.4), or on a system
// mounted at --root. --replace-self puts the installer's kernel and initrd in /boot and a GRUB entry that boots them
// with the autoinstall URL: the default entry (the next boot reinstalls), or with --add-reinstall-entry one more
// entry to pick by hand. GRUB 2 hosts get a /etc/grub.d script, as Koan writes for Debian; hosts with grubby get
// grubby's entry, as Koan does on Red Hat.

import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BootwrightError, quote } from '../errors.js';
import { parseKvString } from '../model/kv.js';
import { downloadToCache, type ProgressSink } from './download.js';
import type { InstallData, KoanTargetKind, RenderedData } from './install-data.js';
import type { RunCommand } from './run-command.js';

export const grubScriptName = '42_bootwright_koan';
const kernelFile = 'bootwright-koan.vmlinuz';
const initrdFile = 'bootwright-koan.initrd';

export interface ReplaceSelfRequest {
  install: InstallData;
  kernelUrl: string;
  initrdUrl: string;
  cmdline: string;
  /** "/" for this host. */
  root: string;
  addReinstallEntry: boolean;
  out: ProgressSink;
  run: RunCommand;
}

/** The path GRUB reads a file under /boot by: without /boot when /boot is a file system of its own. */
async function grubPath(root: string, file: string): Promise<string> {
  const [boot, top] = await Promise.all([stat(join(root, 'boot')), stat(root)]);
  return boot.dev === top.dev ? `/boot/${file}` : `/${file}`;
}

function grubQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export async function replaceSelf(request: ReplaceSelfRequest): Promise<number> {
  const { install, root, out } = request;
  const say = (line: string) => out.write(`- ${line}\n`);
  const bootDir = join(root, 'boot');
  const grubDir = join(root, 'etc', 'grub.d');
  const grubby = ['/sbin/grubby', '/usr/sbin/grubby'].find((path) => existsSync(join(root, path)));
  if (!existsSync(grubDir) && !grubby) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `Neither GRUB 2 (${grubDir}) nor grubby is on ${root === '/' ? 'this host' : root}; --replace-self needs one of them to add a boot entry.`,
    );
  }
  if (request.cmdline.length > 2048) {
    throw new BootwrightError(
      'E_INVALID',
      `The installer's kernel command line is ${request.cmdline.length} characters, over Linux's 2048; shorten the kernel options.`,
    );
  }
  const cacheDir = join(root, 'var', 'lib', 'bootwright', 'koan');
  const kernel = await downloadToCache(request.kernelUrl, cacheDir, out, `downloading ${request.kernelUrl}`);
  const initrd = await downloadToCache(request.initrdUrl, cacheDir, out, `downloading ${request.initrdUrl}`);
  await mkdir(bootDir, { recursive: true });
  await copyFile(kernel, join(bootDir, kernelFile));
  await copyFile(initrd, join(bootDir, initrdFile));
  const title = request.addReinstallEntry
    ? `Reinstall: ${install.name}`
    : `${install.name} (bootwright install)`;

  if (existsSync(grubDir)) {
    const script = [
      '#!/bin/sh',
      `# Written by "bootwright koan --replace-self" for ${install.kind} ${install.name}; remove it to drop the entry.`,
      "cat <<'EOF'",
      `menuentry ${grubQuote(title)} {`,
      `    linux ${await grubPath(root, kernelFile)} ${request.cmdline}`,
      `    initrd ${await grubPath(root, initrdFile)}`,
      '}',
      'EOF',
      '',
    ].join('\n');
    await writeFile(join(grubDir, grubScriptName), script);
    await chmod(join(grubDir, grubScriptName), 0o755);
    if (!request.addReinstallEntry) await setGrubDefault(root, title);
    say(`wrote GRUB entry ${quote(title)} to ${join(grubDir, grubScriptName)}`);
    if (root === '/') await request.run('update-grub', []);
    else say(`run update-grub inside ${root} to apply it`);
  } else if (grubby) {
    const args = [
      '--add-kernel',
      join('/boot', kernelFile),
      '--initrd',
      join('/boot', initrdFile),
      '--args',
      request.cmdline,
      '--copy-default',
      ...(request.addReinstallEntry
        ? ['--title=Reinstall']
        : ['--make-default', `--title=kick${Math.floor(Date.now() / 1000)}`]),
    ];
    await request.run(grubby, args);
    // The copied default entry carries the running system's root=, which would boot the old system.
    await request.run(grubby, ['--update-kernel', join('/boot', kernelFile), '--remove-args=root']);
    say(`added boot entry for ${install.name} with grubby`);
  }
  say(request.addReinstallEntry ? 'reinstallation entry added' : 'reboot to reinstall');
  return 0;
}

/** GRUB_DEFAULT names the new entry; the file's first version is kept beside it. */
async function setGrubDefault(root: string, title: string): Promise<void> {
  const file = join(root, 'etc', 'default', 'grub');
  const backup = `${file}.before-bootwright-koan`;
  const current = existsSync(file) ? await readFile(file, 'utf8') : '';
  if (current !== '' && !existsSync(backup)) await writeFile(backup, current);
  const line = `GRUB_DEFAULT=${JSON.stringify(title)}`;
  const updated = /^GRUB_DEFAULT=.*$/m.test(current)
    ? current.replace(/^GRUB_DEFAULT=.*$/m, line)
    : `${current}${current.endsWith('\n') || current === '' ? '' : '\n'}${line}\n`;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, updated);
}

/**
 * --update-files: each template_files entry `source=/destination` rendered by the server for this object
 * (/cblr/svc/op/template/KIND/NAME/path/ENCODED, `_` for `/` and `__` for `_`, as Koan asks) and written to its
 * destination. Destinations that are not absolute are the server's own and are skipped, as Koan skips them.
 */
export async function updateFiles(
  data: RenderedData,
  kind: KoanTargetKind,
  root: string,
  out: ProgressSink,
): Promise<number> {
  const given = data.template_files;
  const files =
    typeof given === 'object' && given !== null
      ? (given as Record<string, unknown>)
      : parseKvString(String(given ?? '').replace(/^~$/, ''));
  const server = String(data.http_server ?? '');
  let written = 0;
  for (const destination of Object.values(files).map((value) => String(value ?? ''))) {
    if (!destination.startsWith('/')) continue;
    const encoded = destination.replaceAll('_', '__').replaceAll('/', '_');
    const url = `http://${server}/cblr/svc/op/template/${kind}/${encodeURIComponent(String(data.name))}/path/${encoded}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new BootwrightError('E_UNAVAILABLE', `Cannot fetch ${url}: ${(error as Error).message}.`);
    }
    if (!response.ok) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `The server answered HTTP ${response.status} for template file ${destination} (${url}); check the template_files of ${kind} ${String(data.name)}.`,
      );
    }
    const target = join(root, destination);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, Buffer.from(await response.arrayBuffer()));
    out.write(`- file: ${destination}\n`);
    written++;
  }
  if (written === 0) out.write(`- ${kind} ${String(data.name)} has no template_files to write\n`);
  return 0;
}
