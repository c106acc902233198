// `bootwright distro|profile|system|repo <action>`: each action is one call on the inventory backend, so a
// failed command changes nothing. As in Cobbler, changes print nothing in text mode; JSON shows the result.

import { objectToJson } from '../api/object-json.js';
import { openTreeSource } from '../distros/tree-source.js';
import type { InventoryBackend, RenderBackend } from '../inventory/backend.js';
import type { Changes, EditOptions } from '../inventory/inventory.js';
import type { MirrorStatus } from '../mirror/contract.js';
import { formatBytes } from '../mirror/reposync.js';
import { type InventoryObject, type ObjectKind, objectKinds, pluralOf } from '../model/kinds.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import { usageError } from './args.js';
import type { ObjectAction } from './commands.js';
import { formatDumpvars, formatJson, formatReport, formatReports, reportLine } from './format.js';
import { flagGiven, type Invocation, optionValue, requireOption } from './invocation.js';

/** The field flags given, under their field names; interface fields go along as they are (the inventory routes them). */
function fieldValues(invocation: Invocation): Changes {
  const changes: Changes = {};
  for (const option of invocation.command.options) {
    if (option.group !== 'field' && option.group !== 'interface') continue;
    const value = optionValue(invocation, option.key);
    if (value !== undefined) changes[option.key] = value;
  }
  return changes;
}

function editOptions(invocation: Invocation): EditOptions {
  const options: EditOptions = {};
  const ifname = optionValue(invocation, 'interface');
  const renameTo = optionValue(invocation, 'rename_interface');
  if (ifname !== undefined) options.interface = ifname;
  if (renameTo !== undefined) options.renameInterface = renameTo;
  if (flagGiven(invocation, 'delete_interface')) options.deleteInterface = true;
  if (flagGiven(invocation, 'in_place')) options.inPlace = true;
  return options;
}

function renderTarget(kind: ObjectKind, name: string): AutoinstallTarget {
  if (kind !== 'system' && kind !== 'profile') throw usageError(`A ${kind} has no autoinstall file.`);
  return { kind, name };
}

function names(objects: readonly InventoryObject[]): string {
  return objects.map((object) => `${object.name}\n`).join('');
}

interface TreeSourceStatus {
  name: string;
  tree_source: string;
  readable: boolean;
  reason?: string;
}

/** Opens the distro's tree as the server would; with --server it is this host's view of the path. */
async function treeSourceStatus(distro: InventoryObject): Promise<TreeSourceStatus> {
  const location = String(distro.fields.tree_source ?? '');
  if (location === '')
    return { name: distro.name, tree_source: '', readable: false, reason: 'no tree_source' };
  try {
    const tree = await openTreeSource(location);
    // Opening a web tree contacts nothing; asking for its top does.
    const top = await tree.stat('').finally(() => tree.close());
    if (!top) throw new Error(`${location} has no tree at its top`);
    return { name: distro.name, tree_source: location, readable: true };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { name: distro.name, tree_source: location, readable: false, reason };
  }
}

/** `NAME  SOURCE  readable|MISSING (reason)`, in columns. */
function formatTreeSources(sources: readonly TreeSourceStatus[]): string {
  const nameWidth = Math.max(0, ...sources.map((source) => source.name.length));
  const sourceWidth = Math.max(1, ...sources.map((source) => source.tree_source.length));
  return sources
    .map((source) => {
      const state =
        source.tree_source === ''
          ? '(no tree_source)'
          : source.readable
            ? 'readable'
            : `MISSING (${source.reason})`;
      return `${source.name.padEnd(nameWidth)}  ${(source.tree_source || '-').padEnd(sourceWidth)}  ${state}\n`;
    })
    .join('');
}

/** `repo report`'s lines about the mirror: the snapshot served and its size, or why there is none. */
export function formatMirrorStatus(repo: InventoryObject, status: MirrorStatus): string {
  const lines: string[] = [];
  const { current, partial } = status;
  if (current) {
    lines.push(reportLine('Mirror Snapshot', current.snapshot));
    lines.push(reportLine('Mirror Last Sync', new Date(current.syncedAt).toISOString()));
    lines.push(reportLine('Mirror Files', current.files));
    lines.push(reportLine('Mirror Packages', current.packages));
    lines.push(reportLine('Mirror Size On Disk', `${current.bytes} bytes (${formatBytes(current.bytes)})`));
  } else if (repo.fields.mirror_locally === false) {
    lines.push(reportLine('Mirror Snapshot', 'none (mirror_locally off: installers use the origin)'));
  } else {
    lines.push(reportLine('Mirror Snapshot', `never synced (bootwright reposync --name=${repo.name})`));
  }
  if (partial) {
    lines.push(
      reportLine(
        'Mirror Unfinished Sync',
        `${partial.snapshot}, started ${new Date(partial.startedAt).toISOString()} (the next reposync resumes it)`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** What a system copy left empty that its source had: MACs, addresses and names, which must stay unique. */
function droppedInCopy(source: InventoryObject, copy: InventoryObject): string[] {
  const shown = (value: unknown) => (Array.isArray(value) ? value.join(' ') : String(value ?? ''));
  const dropped: string[] = [];
  if (shown(source.fields.hostname) !== '' && shown(copy.fields.hostname) === '')
    dropped.push(`hostname ${shown(source.fields.hostname)}`);
  const uniqueFields = [
    'mac_address',
    'ip_address',
    'dns_name',
    'cnames',
    'ipv6_address',
    'ipv6_secondaries',
  ];
  for (const [ifname, iface] of Object.entries(source.interfaces ?? {})) {
    const copied = (copy.interfaces?.[ifname] ?? {}) as Record<string, unknown>;
    for (const field of uniqueFields) {
      const value = shown((iface as unknown as Record<string, unknown>)[field]);
      if (value !== '' && shown(copied[field]) === '') dropped.push(`${ifname} ${field} ${value}`);
    }
  }
  return dropped;
}

function sortedKeys(view: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(view)
      .sort()
      .map((key) => [key, view[key]]),
  );
}

export async function runObjectCommand(
  kind: ObjectKind,
  action: ObjectAction,
  invocation: Invocation,
  backend: InventoryBackend,
  renderer: RenderBackend,
  mirrorStatus?: (name: string) => Promise<MirrorStatus>,
): Promise<void> {
  const json = invocation.format === 'json';
  const write = (text: string) => invocation.io.stdout.write(text);
  const changed = (object: InventoryObject) => {
    if (json) write(formatJson(objectToJson(object)));
  };
  switch (action) {
    case 'list': {
      const objects = await backend.list(kind);
      if (flagGiven(invocation, 'sources')) {
        const sources = await Promise.all(objects.map(treeSourceStatus));
        write(json ? formatJson(sources) : formatTreeSources(sources));
        return;
      }
      write(json ? formatJson(objects.map((object) => object.name)) : names(objects));
      return;
    }
    case 'report': {
      const name = optionValue(invocation, 'name');
      const objects = name !== undefined ? [await backend.get(kind, name)] : await backend.list(kind);
      // A repo's report ends with its mirror, as `repo report` is where an operator looks for it.
      const mirrors =
        kind === 'repo' && mirrorStatus
          ? await Promise.all(objects.map((object) => mirrorStatus(object.name)))
          : undefined;
      if (json) {
        const shown = objects.map((object, index) => ({
          ...objectToJson(object),
          ...(mirrors ? { mirror_status: mirrors[index] } : {}),
        }));
        write(formatJson(name !== undefined ? shown[0] : shown));
        return;
      }
      write(
        objects
          .map((object, index) => {
            const mirror = mirrors?.[index];
            return formatReport(object) + (mirror ? formatMirrorStatus(object, mirror) : '');
          })
          .join('\n'),
      );
      return;
    }
    case 'find': {
      const criteria = fieldValues(invocation) as Record<string, string>;
      const name = optionValue(invocation, 'name');
      if (name !== undefined) criteria.name = name;
      const objects = await backend.list(kind, { criteria });
      write(json ? formatJson(objects.map(objectToJson)) : names(objects));
      return;
    }
    case 'dumpvars': {
      const view = await renderer.variables(renderTarget(kind, requireOption(invocation, 'name')));
      write(json ? formatJson(sortedKeys(view)) : formatDumpvars(view));
      return;
    }
    case 'get-autoinstall': {
      const rendered = await renderer.autoinstall(renderTarget(kind, requireOption(invocation, 'name')));
      write(json ? formatJson(rendered) : rendered.text);
      return;
    }
    case 'add': {
      const name = requireOption(invocation, 'name');
      changed(await backend.add(kind, { name, ...fieldValues(invocation) }, editOptions(invocation)));
      return;
    }
    case 'edit': {
      const name = requireOption(invocation, 'name');
      changed(await backend.edit(kind, name, fieldValues(invocation), editOptions(invocation)));
      return;
    }
    case 'copy': {
      const name = requireOption(invocation, 'name');
      const newName = requireOption(invocation, 'newname');
      const source = kind === 'system' ? await backend.get(kind, name) : undefined;
      const copy = await backend.copy(kind, name, newName, fieldValues(invocation));
      changed(copy);
      const dropped = source ? droppedInCopy(source, copy) : [];
      if (dropped.length > 0) {
        invocation.io.stderr.write(
          `bootwright: system ${JSON.stringify(newName)} was copied without what must stay unique (${dropped.join(', ')}); give it its own with "bootwright system edit --name=${newName} --interface=IF --mac=... --ip-address=...".\n`,
        );
      }
      return;
    }
    case 'rename': {
      const name = requireOption(invocation, 'name');
      changed(await backend.rename(kind, name, requireOption(invocation, 'newname')));
      return;
    }
    case 'remove': {
      const recursive = flagGiven(invocation, 'recursive');
      const removed = await backend.remove(kind, requireOption(invocation, 'name'), { recursive });
      if (json) write(formatJson(removed));
      else if (recursive) write(removed.map((ref) => `removed ${ref.kind} ${ref.name}\n`).join(''));
      return;
    }
  }
}

/** `bootwright list` and `bootwright report`: every kind, under a heading, as `cobbler list` prints them. */
export async function runListAll(
  action: 'list' | 'report',
  invocation: Invocation,
  backend: InventoryBackend,
): Promise<void> {
  const byKind: Record<string, InventoryObject[]> = {};
  for (const kind of objectKinds) byKind[kind] = await backend.list(kind);
  const write = (text: string) => invocation.io.stdout.write(text);
  if (invocation.format === 'json') {
    write(
      formatJson(
        Object.fromEntries(
          Object.entries(byKind).map(([kind, objects]) => [
            kind,
            action === 'list' ? objects.map((object) => object.name) : objects.map(objectToJson),
          ]),
        ),
      ),
    );
    return;
  }
  const sections = Object.entries(byKind).map(([kind, objects]) =>
    action === 'list'
      ? `${pluralOf(kind as ObjectKind)}:\n${objects.map((object) => `   ${object.name}\n`).join('')}`
      : `${pluralOf(kind as ObjectKind)}:\n==========\n${objects.length > 0 ? `\n${formatReports(objects)}` : ''}`,
  );
  write(sections.join(action === 'list' ? '' : '\n'));
}
