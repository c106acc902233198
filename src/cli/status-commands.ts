// `bootwright status [--system NAME] [--logs]` and `bootwright watch [--system NAME]`: the install timeline, read
// from the local store or a running server. `watch` redraws a view on a terminal and prints plain lines otherwise.

import { checkBootServer } from '../boot/check.js';
import { dataPaths } from '../config/paths.js';
import { BootwrightError } from '../errors.js';
import type { Inventory } from '../inventory/inventory.js';
import type { RepoMirrors } from '../mirror/contract.js';
import { readServeRecord } from '../serve-record.js';
import {
  describeEvent,
  formatStatusTable,
  formatTimeline,
  installStatus,
  latestInstallCycle,
} from '../status/install-status.js';
import type { EventQuery, StoredEvent } from '../store/store.js';
import { usageError } from './args.js';
import type { GlobalOptions } from './backend.js';
import { formatJson } from './format.js';
import { flagGiven, type Invocation, optionValue } from './invocation.js';

export interface EventReader {
  query(query: EventQuery): Promise<StoredEvent[]>;
}

const stallMinutesDefault = 100;

async function allEvents(events: EventReader, query: EventQuery): Promise<StoredEvent[]> {
  const collected: StoredEvent[] = [];
  let afterId = 0;
  for (;;) {
    const page = await events.query({ ...query, afterId, limit: 5000 });
    collected.push(...page);
    if (page.length < 5000) return collected;
    afterId = page[page.length - 1]?.id ?? afterId;
  }
}

export async function runStatus(
  invocation: Invocation,
  events: EventReader,
  logs?: (system: string) => Promise<string>,
): Promise<void> {
  const write = (text: string) => invocation.io.stdout.write(text);
  const system = optionValue(invocation, 'system');
  const json = invocation.format === 'json';
  if (system === undefined) {
    const stall = Number(optionValue(invocation, 'stall_minutes') ?? stallMinutesDefault);
    const rows = installStatus(await allEvents(events, { type: 'install.' }), Date.now(), stall);
    write(json ? formatJson(rows) : formatStatusTable(rows));
    return;
  }
  const cycle = latestInstallCycle(await allEvents(events, { system }));
  if (json) write(formatJson(cycle));
  else write(cycle.length === 0 ? `No events for system ${system} yet.\n` : formatTimeline(cycle));
  if (flagGiven(invocation, 'logs') && logs) write(await logs(system));
}

function eventLine(event: StoredEvent): string {
  const time = new Date(event.time).toISOString().slice(11, 19);
  return `${time}  ${(event.system ?? event.mac ?? event.ip ?? '-').padEnd(16)}  ${describeEvent(event)}\n`;
}

/** Follows new events until interrupted (or for --timeout seconds), polling so that it works the same on a store. */
export async function runWatch(invocation: Invocation, events: EventReader): Promise<void> {
  const system = optionValue(invocation, 'system');
  const timeout = Number(optionValue(invocation, 'timeout') ?? 0);
  const stdout = invocation.io.stdout as { write(text: string): unknown; isTTY?: boolean };
  const tty = stdout.isTTY === true && invocation.format !== 'json';
  const base: EventQuery = system === undefined ? {} : { system };
  const latest = await events.query({ ...base, newestFirst: true, limit: 20 });
  let afterId = latest[0]?.id ?? 0;
  const recent = latest.reverse();
  const deadline = timeout > 0 ? Date.now() + timeout * 1000 : Number.POSITIVE_INFINITY;
  const redraw = async () => {
    const status = formatStatusTable(
      installStatus(await allEvents(events, { type: 'install.' }), Date.now(), stallMinutesDefault),
    );
    stdout.write(`\u001b[H\u001b[2J${status}\n${recent.map(eventLine).join('')}`);
  };
  if (tty) await redraw();
  while (Date.now() < deadline) {
    const fresh = await events.query({ ...base, afterId, limit: 1000 });
    for (const event of fresh) {
      afterId = event.id;
      if (tty) {
        recent.push(event);
        if (recent.length > 20) recent.shift();
      } else stdout.write(invocation.format === 'json' ? `${JSON.stringify(event)}\n` : eventLine(event));
    }
    if (tty && fresh.length > 0) await redraw();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** `bootwright check`: one line per problem with its fix; non-zero when there is any. */
export async function runCheck(
  invocation: Invocation,
  local: Inventory | undefined,
  globals: GlobalOptions,
  mirrors?: Pick<RepoMirrors, 'currentDir'>,
): Promise<number> {
  if (!local)
    throw usageError('"bootwright check" looks at this host; run it on the server without --server.');
  const paths = dataPaths(globals.dataDir);
  const findings = await checkBootServer(local, paths.loaders, readServeRecord(paths.serveRecord), mirrors);
  const write = (text: string) => invocation.io.stdout.write(text);
  if (invocation.format === 'json') write(formatJson(findings));
  else if (findings.length === 0) write('No problems found.\n');
  else {
    findings.forEach((finding, index) => {
      write(`${index + 1}. ${finding.problem}\n   fix: ${finding.fix}\n`);
    });
  }
  if (findings.length > 0) {
    throw new BootwrightError(
      'E_INVALID',
      `${findings.length} problem${findings.length === 1 ? '' : 's'} found; see above.`,
    );
  }
  return 0;
}
