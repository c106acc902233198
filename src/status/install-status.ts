// The install timeline read back from events: Cobbler's `status` table (one row per machine: where it installs
// from, when it started, whether it finished or stalled) and one machine's steps in order with the time each took.

import type { StoredEvent } from '../store/store.js';

export interface InstallStatusRow {
  ip: string;
  target: string;
  started: number;
  state: string;
}

function minutesAndSeconds(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}

/**
 * One row per system with an install start: `finished` when a post report follows the latest start, `installing
 * (Xm Ys)` while within the stall limit, `stalled` after it (Cobbler's unknown/stalled after 100 minutes).
 */
export function installStatus(
  events: readonly StoredEvent[],
  now: number,
  stallMinutes: number,
): InstallStatusRow[] {
  const latest = new Map<string, { start?: StoredEvent; finish?: StoredEvent }>();
  for (const event of events) {
    if (!event.system || (event.type !== 'install.pre' && event.type !== 'install.post')) continue;
    const entry = latest.get(event.system) ?? {};
    if (event.type === 'install.pre') {
      entry.start = event;
      entry.finish = undefined;
    } else entry.finish = event;
    latest.set(event.system, entry);
  }
  const rows: InstallStatusRow[] = [];
  for (const [system, { start, finish }] of latest) {
    const begun = start ?? finish;
    if (!begun) continue;
    let state: string;
    if (finish) state = 'finished';
    else if (now - begun.time > stallMinutes * 60_000)
      state = `stalled (no report for ${minutesAndSeconds(now - begun.time)})`;
    else state = `installing (${minutesAndSeconds(now - begun.time)})`;
    rows.push({ ip: begun.source ?? begun.ip ?? '', target: `system:${system}`, started: begun.time, state });
  }
  return rows.sort((a, b) => a.started - b.started);
}

export function formatStatusTable(rows: readonly InstallStatusRow[]): string {
  const header = ['ip', 'target', 'start', 'state'];
  const lines = rows.map((row) => [
    row.ip,
    row.target,
    new Date(row.started).toISOString().replace('T', ' ').slice(0, 19),
    row.state,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)),
  );
  const render = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join(' | ')
      .trimEnd();
  return [render(header), ...lines.map(render)].map((line) => `${line}\n`).join('');
}

/** A person's words for one step, with the facts that matter for it. */
export function describeEvent(event: StoredEvent): string {
  const detail = event.detail as Record<string, unknown>;
  const path = typeof detail.path === 'string' ? detail.path : '';
  const address = typeof detail.address === 'string' ? ` ${detail.address}` : '';
  switch (event.type) {
    case 'dhcp.discover':
      return `DHCP discover${detail.clientArch !== undefined ? ` (client arch ${String(detail.clientArch)})` : ''}`;
    case 'dhcp.offer':
      return `DHCP offer${address}${detail.bootFile ? `, boot file ${String(detail.bootFile)}` : ''}`;
    case 'dhcp.request':
      return `DHCP request${address}`;
    case 'dhcp.ack':
      return `DHCP ack${address}${detail.bootFile ? `, boot file ${String(detail.bootFile)}` : ''}`;
    case 'tftp.requested':
      return `TFTP request ${path}`;
    case 'tftp.sent':
      return `TFTP sent ${path}${typeof detail.bytes === 'number' ? ` (${detail.bytes} bytes)` : ''}`;
    case 'tftp.failed':
      return `TFTP failed ${path}: ${String(detail.error ?? '')}`;
    case 'http.autoinstall':
      return `autoinstall file fetched${detail.status && detail.status !== 200 ? ` (HTTP ${String(detail.status)})` : ''}`;
    case 'http.image':
    case 'http.tree':
    case 'http.repo':
      return `downloaded ${path}`;
    case 'http.ipxe':
      return 'iPXE script fetched';
    case 'http.yum':
    case 'http.apt':
      return 'package repository configuration fetched';
    case 'http.nopxe':
      return 'netboot turned off';
    case 'install.pre':
      return 'install started';
    case 'install.post':
      return 'install finished';
    case 'install.firstboot':
      return 'first boot';
    case 'enc.checkin':
      return `asked the node classifier for its role${detail.classes ? `: ${String(detail.classes)}` : ''}`;
    case 'reposync.start':
      return `reposync of repo ${String(detail.repo ?? '')} started`;
    case 'reposync.done':
      return `repo ${String(detail.repo ?? '')} synced: ${String(detail.files ?? '?')} files, ${String(detail.bytes ?? '?')} bytes in ${typeof detail.seconds === 'number' ? detail.seconds.toFixed(1) : '?'} s`;
    case 'reposync.failed':
      return `reposync of repo ${String(detail.repo ?? '')} failed: ${String(detail.error ?? '')}`;
    case 'mirror.removed':
      return `mirror of repo ${String(detail.repo ?? '')} removed, ${String(detail.bytes ?? '?')} bytes freed`;
    case 'trigger.run':
      return detail.timedOut === true
        ? `trigger ${String(detail.dir ?? '')}/${String(detail.script ?? '')} killed after its timeout`
        : `trigger ${String(detail.dir ?? '')}/${String(detail.script ?? '')} exited ${String(detail.status ?? '')}`;
    case 'trigger.dropped':
      return `triggers ${String(detail.dir ?? '')} not run: ${String(detail.reason ?? '')}`;
    default:
      if (event.type.startsWith('power.')) return describePower(event.type.slice(6), detail);
      return event.type.startsWith('koan.')
        ? `koan: ${String(detail.message ?? event.type.slice(5))}`
        : event.type;
  }
}

/** "power on by admin through redfish: done in 0.4 s (ResetType On: HTTP 204)", or "...: FAILED in 30.0 s (...)". */
function describePower(action: string, detail: Record<string, unknown>): string {
  const verb =
    action === 'status' ? 'power status asked' : action === 'reinstall' ? 'reinstall' : `power ${action}`;
  const seconds = typeof detail.ms === 'number' ? ` in ${(detail.ms / 1000).toFixed(1)} s` : '';
  const state = action === 'status' && typeof detail.state === 'string' ? `: ${detail.state}` : '';
  const outcome = detail.ok === false ? `FAILED${seconds}` : `done${seconds}${state}`;
  return `${verb} by ${String(detail.who ?? '?')} through ${String(detail.driver || 'no driver')}: ${outcome} (${String(detail.said ?? '')})`;
}

function clock(time: number): string {
  return new Date(time).toISOString().slice(11, 19);
}

function delta(ms: number): string {
  if (ms < 1000) return `+${ms}ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(1)}s`;
  return `+${minutesAndSeconds(ms)}`;
}

/** One line per step: the time, the time since the previous step, and what happened. */
export function formatTimeline(events: readonly StoredEvent[]): string {
  let previous: number | undefined;
  return events
    .map((event) => {
      const since = previous === undefined ? '' : delta(event.time - previous);
      previous = event.time;
      return `${clock(event.time)}  ${since.padStart(9)}  ${describeEvent(event)}\n`;
    })
    .join('');
}

/**
 * The steps of a machine's latest install: from the network boot (the last DHCP discover) that led to its latest
 * install start, to now. Without an install start, its latest `limit` events.
 */
export function latestInstallCycle(events: readonly StoredEvent[], limit = 50): StoredEvent[] {
  let start = -1;
  for (let i = events.length - 1; i >= 0; i--) {
    if (events[i]?.type === 'install.pre') {
      start = i;
      break;
    }
  }
  if (start === -1) return events.slice(-limit);
  for (let i = start; i >= 0; i--) {
    const type = events[i]?.type;
    if (type === 'install.post' || type === 'install.firstboot') break;
    if (type === 'dhcp.discover' || type === 'koan.start') start = i;
  }
  return events.slice(start);
}
