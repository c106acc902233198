// Cobbler's triggers (cobbler-koan.md §6.4): the executables in a directory under <dataDir>/triggers/, run one
// after another in name order. The directories, and the arguments each gets:
//   add/<kind>/{pre,post}/     NAME          on add, edit and copy (Cobbler saves an edit as an add)
//   delete/<kind>/{pre,post}/  NAME          on remove; a rename runs add/ for the new name, delete/ for the old
//   change/                    NAME          after any of these
//   install/{pre,post,firstboot}/  TYPE NAME IP   when an installer reports (/cblr/svc/op/trig)
// A failing pre trigger (non-zero exit or timeout) refuses the change. Every run is an event (`trigger.run`) with
// its exit status and output. Triggers also get BOOTWRIGHT_* variables saying what changed, as Cobbler's Python
// triggers could ask its API; a shell script cannot.
// Install reports need no token (/cblr/svc/op/trig is open unless autoinstall_secrets is on), so their runs are
// bounded: a few at once, a bounded queue behind them, and a report the same as one queued or running joins it.

import { type ChildProcess, spawn } from 'node:child_process';
import { constants, existsSync, readdirSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BootwrightError, quote } from '../errors.js';
import type { InventoryHooks, ObjectChange } from '../inventory/hooks.js';
import type { EventInput } from '../store/store.js';

/** Install trigger runs (one directory each, its scripts one after another) going at once; the rest wait. */
export const maxInstallTriggerRuns = 4;
/** Install trigger runs that may wait for a place; a report past this runs no triggers, and an event says so. */
export const maxWaitingInstallTriggerRuns = 64;

export type InstallMode = 'pre' | 'post' | 'firstboot';
export const installModes: readonly InstallMode[] = ['pre', 'post', 'firstboot'];

export interface EventPublisher {
  publish(event: EventInput): void;
}

export interface TriggerRunnerOptions {
  /** The triggers directory, `<dataDir>/triggers`. */
  dir: string;
  events?: EventPublisher;
  /** The environment every trigger starts from; the wiring passes the server's own. */
  env?: NodeJS.ProcessEnv;
  /** A trigger still running after this long is killed, with everything it started (default 30 s). */
  timeoutMs?: number;
  /** Output kept per run, stdout and stderr together (default 64 KiB); the rest is read and dropped. */
  maxOutputBytes?: number;
}

export interface TriggerRun {
  /** The directory under triggers/, e.g. `add/system/pre`. */
  dir: string;
  script: string;
  args: string[];
  /** The exit status; null when the trigger was killed by a signal or could not start. */
  status: number | null;
  signal?: string;
  output: string;
  outputTruncated?: boolean;
  durationMs: number;
  timedOut: boolean;
  /** Why the trigger could not be started (not executable after all, bad interpreter line, ...). */
  error?: string;
}

interface RunContext {
  /** The system the run belongs to in the install timeline. */
  system?: string;
  /** The installer's address, for install triggers. */
  ip?: string;
  env: Record<string, string>;
}

const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** A script whose last process has exited but whose background children still hold its output open. */
const outputGraceMs = 250;

export function triggerSucceeded(run: TriggerRun): boolean {
  return run.status === 0 && !run.timedOut;
}

/** `add/system/pre/10-check` exit 3 -> `exit 3`; a kill, a signal or a failure to start in the same words. */
function outcome(run: TriggerRun, timeoutMs: number): string {
  if (run.timedOut) return `killed after ${timeoutMs / 1000} s without finishing`;
  if (run.error) return `could not start: ${run.error}`;
  if (run.signal) return `killed by ${run.signal}`;
  return `exit ${String(run.status)}`;
}

function firstLine(output: string): string {
  const line = output.split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  const trimmed = line.trim();
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}...` : trimmed;
}

/** The add/ and delete/ steps of a change, as Cobbler runs them: a rename adds the new name and deletes the old. */
function stepsOf(change: ObjectChange): { verb: 'add' | 'delete'; name: string }[] {
  switch (change.action) {
    case 'remove':
      return [{ verb: 'delete', name: change.name }];
    case 'rename':
      return [
        { verb: 'add', name: change.name },
        { verb: 'delete', name: change.from ?? change.name },
      ];
    default:
      return [{ verb: 'add', name: change.name }];
  }
}

export class TriggerRunner implements InventoryHooks {
  readonly dir: string;
  readonly timeoutMs: number;
  private readonly maxOutputBytes: number;
  private readonly events: EventPublisher | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly children = new Set<ChildProcess>();
  private readonly background = new Set<Promise<unknown>>();
  /** The install runs queued or going, by their mode and arguments. */
  private readonly installRuns = new Set<string>();
  /** Install runs waiting for a place, first come first served; each is called with the place of one that ended. */
  private readonly waitingInstallRuns: (() => void)[] = [];
  private goingInstallRuns = 0;
  private closed = false;

  constructor(options: TriggerRunnerOptions) {
    this.dir = options.dir;
    this.events = options.events;
    this.env = options.env ?? { PATH: defaultPath };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxOutputBytes = options.maxOutputBytes ?? 64 * 1024;
  }

  /** The triggers of a directory in the order they run: executable files, no dotfiles, no package leftovers. */
  async scripts(dir: string): Promise<string[]> {
    const path = join(this.dir, dir);
    let names: string[];
    try {
      // Synchronous, and asked first whether the directory exists: every change lists three directories, usually
      // missing, inside its transaction, and the thread pool's round trip and a thrown ENOENT cost tens of
      // microseconds each (10% of a large batch add).
      if (!existsSync(path)) return [];
      names = readdirSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: string[] = [];
    // Code-unit order, as Python's sorted() in Cobbler: "10-a" before "9-b" before "a".
    for (const name of names.sort()) {
      // rpm and dpkg leave the old and new versions of an edited trigger beside it (.rpmnew, .dpkg-old).
      if (name.startsWith('.') || name.includes('.rpm') || name.includes('.dpkg-')) continue;
      try {
        if (!(await stat(join(path, name))).isFile()) continue;
        await access(join(path, name), constants.X_OK);
      } catch {
        continue;
      }
      found.push(name);
    }
    return found;
  }

  async beforeChange(change: ObjectChange): Promise<void> {
    for (const step of stepsOf(change)) {
      const dir = `${step.verb}/${change.kind}/pre`;
      const runs = await this.runDirectory(dir, [step.name], this.objectContext(change, step.name, dir), {
        stopOnFailure: true,
      });
      const failed = runs.find((run) => !triggerSucceeded(run));
      if (failed) {
        const said = firstLine(failed.output);
        throw new BootwrightError(
          'E_FORBIDDEN',
          `Trigger ${failed.dir}/${failed.script} refused to ${change.action} ${change.kind} ${quote(change.name)} (${outcome(failed, this.timeoutMs)})${said ? `: ${said}` : '.'}`,
        );
      }
    }
  }

  /** Post triggers report their failures as events only: the change is already written. */
  async afterChange(change: ObjectChange): Promise<void> {
    for (const step of stepsOf(change)) {
      const dir = `${step.verb}/${change.kind}/post`;
      await this.runDirectory(dir, [step.name], this.objectContext(change, step.name, dir));
    }
    await this.runDirectory('change', [change.name], this.objectContext(change, change.name, 'change'));
  }

  /** Runs install/<mode>/ with (type, name, ip); failures are events, never errors. */
  async runInstallTriggers(
    mode: InstallMode,
    target: { kind: 'system' | 'profile'; name: string },
    ip: string | undefined,
  ): Promise<TriggerRun[]> {
    const dir = `install/${mode}`;
    return this.runDirectory(dir, [target.kind, target.name, ip ?? ''], {
      ...(target.kind === 'system' ? { system: target.name } : {}),
      ...(ip ? { ip } : {}),
      env: {
        BOOTWRIGHT_TRIGGER: dir,
        BOOTWRIGHT_INSTALL_MODE: mode,
        BOOTWRIGHT_OBJECT_TYPE: target.kind,
        BOOTWRIGHT_OBJECT_NAME: target.name,
        BOOTWRIGHT_CLIENT_IP: ip ?? '',
      },
    });
  }

  /**
   * Starts install triggers and returns at once: an installer waiting on its report must not wait on them. Returns
   * whether they will run: false when the queue is full (an event says so) or the runner is closing. A report with
   * the same arguments as a run queued or going joins that run: it would run the same scripts with the same
   * arguments, and one looping client must not queue a run per request. The installer's address is part of them,
   * so that machines installing one profile at once each get their run.
   */
  startInstallTriggers(
    mode: InstallMode,
    target: { kind: 'system' | 'profile'; name: string },
    ip: string | undefined,
  ): boolean {
    if (this.closed) return false;
    const key = JSON.stringify([mode, target.kind, target.name, ip ?? '']);
    if (this.installRuns.has(key)) return true;
    if (
      this.goingInstallRuns >= maxInstallTriggerRuns &&
      this.waitingInstallRuns.length >= maxWaitingInstallTriggerRuns
    ) {
      this.events?.publish({
        type: 'trigger.dropped',
        ...(target.kind === 'system' ? { system: target.name } : {}),
        ...(ip ? { ip, source: ip } : {}),
        detail: {
          dir: `install/${mode}`,
          args: [target.kind, target.name, ip ?? ''],
          reason: `${maxInstallTriggerRuns} install trigger runs are going and ${maxWaitingInstallTriggerRuns} waiting`,
        },
      });
      return false;
    }
    this.installRuns.add(key);
    const running = (async () => {
      if (this.goingInstallRuns < maxInstallTriggerRuns) this.goingInstallRuns++;
      else await new Promise<void>((resolve) => this.waitingInstallRuns.push(resolve));
      try {
        if (!this.closed) await this.runInstallTriggers(mode, target, ip);
      } catch (error) {
        console.error(`bootwright: install/${mode} triggers failed: ${(error as Error).message}`);
      } finally {
        this.installRuns.delete(key);
        // The place passes straight to the next in line, so that a report arriving meanwhile cannot take it too.
        const next = this.waitingInstallRuns.shift();
        if (next) next();
        else this.goingInstallRuns--;
      }
    })();
    this.background.add(running);
    void running.finally(() => this.background.delete(running));
    return true;
  }

  /** Resolves once every trigger started in the background has finished. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Kills what is still running (the server is stopping) and waits for the runs to be reported. */
  async close(): Promise<void> {
    this.closed = true;
    for (const child of this.children) killGroup(child);
    await this.idle();
  }

  private objectContext(change: ObjectChange, name: string, dir: string): RunContext {
    return {
      ...(change.kind === 'system' ? { system: name } : {}),
      env: {
        BOOTWRIGHT_TRIGGER: dir,
        BOOTWRIGHT_ACTION: change.action,
        BOOTWRIGHT_OBJECT_TYPE: change.kind,
        BOOTWRIGHT_OBJECT_NAME: name,
        ...(change.from ? { BOOTWRIGHT_OBJECT_FROM: change.from } : {}),
      },
    };
  }

  private async runDirectory(
    dir: string,
    args: string[],
    context: RunContext,
    options: { stopOnFailure?: boolean } = {},
  ): Promise<TriggerRun[]> {
    const runs: TriggerRun[] = [];
    for (const script of await this.scripts(dir)) {
      const run = await this.runScript(dir, script, args, context);
      runs.push(run);
      this.events?.publish({
        type: 'trigger.run',
        ...(context.system ? { system: context.system } : {}),
        ...(context.ip ? { ip: context.ip, source: context.ip } : {}),
        detail: { ...run },
      });
      if (options.stopOnFailure && !triggerSucceeded(run)) break;
    }
    return runs;
  }

  private runScript(dir: string, script: string, args: string[], context: RunContext): Promise<TriggerRun> {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let kept = 0;
    let outputTruncated = false;
    const collect = (chunk: Buffer) => {
      const room = this.maxOutputBytes - kept;
      if (chunk.length > room) outputTruncated = true;
      if (room <= 0) return;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(part);
      kept += part.length;
    };
    return new Promise<TriggerRun>((resolve) => {
      let timedOut = false;
      let error: string | undefined;
      let settled = false;
      let grace: NodeJS.Timeout | undefined;
      // detached: the trigger leads its own process group, so that a timeout kills what it started too.
      const child = spawn(join(this.dir, dir, script), args, {
        cwd: this.dir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...this.env, ...context.env },
      });
      this.children.add(child);
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child);
      }, this.timeoutMs);
      const finish = (status: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(grace);
        this.children.delete(child);
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({
          dir,
          script,
          args,
          status,
          ...(signal ? { signal } : {}),
          output: Buffer.concat(chunks).toString('utf8'),
          ...(outputTruncated ? { outputTruncated } : {}),
          durationMs: Math.round(performance.now() - started),
          timedOut,
          ...(error ? { error } : {}),
        });
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      child.on('error', (thrown) => {
        error = thrown.message;
        finish(null, null);
      });
      child.on('exit', (status, signal) => {
        grace = setTimeout(() => finish(status, signal), outputGraceMs);
      });
      child.on('close', (status, signal) => finish(status, signal));
    });
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
