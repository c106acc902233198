// Cobbler's task API over XML-RPC: `background_*` calls answer with an event id at once, and clients poll
// `get_task_status(id)` until it says "complete" or "failed", reading `get_events()` and `get_event_log(id)` on the
// way (the web UI, `cobbler sync` through cobblerd, Ansible's scripts). bootwright renders everything when asked, so
// most tasks have nothing to do: each runs to its end before its id is handed out, and the client's first poll
// already reads its end. A reposync takes minutes: it is started, and its id handed out while it runs. The REST API
// (POST /api/v1/reposync) starts its tasks here too, so that either API reads the other's logs.

import { randomUUID } from 'node:crypto';
import { asBootwrightError, BootwrightError } from '../errors.js';

/** A task's work: it writes its log with `log`, and stops when `signal` is aborted (the server stopping). */
export type TaskWork = (log: (line: string) => void, signal: AbortSignal) => Promise<void>;

/** Cobbler's EventStatus values, as get_task_status and get_events send them. */
export type TaskState = 'running' | 'complete' | 'failed' | 'info';

interface TaskEvent {
  id: string;
  /** Seconds since the epoch, as Cobbler's `statetime`. */
  started: number;
  name: string;
  state: TaskState;
  readBy: string[];
  log: string;
}

/** Bounded, as Cobbler's events expire: a client that starts tasks in a loop must not grow memory without end. */
const eventLimit = 1000;

const two = (value: number) => String(value).padStart(2, '0');

/** Cobbler's event id: `YYYY-MM-DD_HHMMSS_<name>_<uuid hex>`, which its CLI prints and users paste back. */
function eventId(name: string, at: Date): string {
  const day = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
  const time = `${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}`;
  return `${day}_${time}_${name}_${randomUUID().replaceAll('-', '')}`;
}

export class CobblerTasks {
  private readonly events = new Map<string, TaskEvent>();
  /** Aborted when the server stops: a task that takes minutes (a reposync) stops at its next step. */
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<void>>();

  /**
   * Runs `work` and returns the new event's id once it has ended; the work's lines become the task log. A failure is
   * kept as the task's state and last log line, as Cobbler's thread does, instead of failing the call that started it.
   */
  async run(name: string, work: TaskWork): Promise<string> {
    const { id, ended } = this.start(name, work);
    await ended;
    return id;
  }

  /**
   * Starts `work` and hands out its id at once, for work that takes minutes (a reposync): the client polls
   * get_task_status and reads get_event_log while it runs. `ended` resolves when it has, failed or not.
   */
  start(name: string, work: TaskWork): { id: string; ended: Promise<void> } {
    const now = new Date();
    const event: TaskEvent = {
      id: eventId(name, now),
      started: now.getTime() / 1000,
      name,
      state: 'running',
      readBy: [],
      log: '',
    };
    this.remember(event);
    const log = (line: string) => {
      event.log += `${new Date().toISOString()} - INFO | ${line}\n`;
    };
    const ended = (async () => {
      try {
        if (this.stopping.signal.aborted)
          throw new BootwrightError('E_UNAVAILABLE', 'The server is stopping.');
        await work(log, this.stopping.signal);
        log('### TASK COMPLETE ###');
        event.state = 'complete';
      } catch (thrown) {
        log(asBootwrightError(thrown).message);
        log('### TASK FAILED ###');
        event.state = 'failed';
      }
    })();
    this.running.add(ended);
    void ended.finally(() => this.running.delete(ended));
    return { id: event.id, ended };
  }

  /** Stops the tasks still running (their signal is aborted) and resolves once they have ended. */
  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.running);
  }

  /** The task's name, state and log, for the REST API; undefined for an unknown id. */
  task(id: string): { id: string; name: string; state: TaskState; log: string } | undefined {
    const event = this.events.get(id);
    return event && { id: event.id, name: event.name, state: event.state, log: event.log };
  }

  /** `[statetime, name, state, read_by_who]`, Cobbler's list form of an event; undefined for an unknown id. */
  status(id: string): [number, string, TaskState, string[]] | undefined {
    const event = this.events.get(id);
    return event && [event.started, event.name, event.state, [...event.readBy]];
  }

  /** The events `forUser` has not read yet, each then marked read by that user; all of them for "". */
  unread(forUser: string): Record<string, [number, string, TaskState, string[]]> {
    const result: Record<string, [number, string, TaskState, string[]]> = {};
    for (const event of this.events.values()) {
      if (forUser !== '' && event.readBy.includes(forUser)) continue;
      result[event.id] = [event.started, event.name, event.state, [...event.readBy]];
      if (forUser !== '') event.readBy.push(forUser);
    }
    return result;
  }

  /** The task's log, or "?" as Cobbler answers for an id it does not know. */
  log(id: string): string {
    return this.events.get(id)?.log ?? '?';
  }

  private remember(event: TaskEvent): void {
    if (this.events.size >= eventLimit) {
      const oldest = this.events.keys().next().value;
      if (oldest !== undefined) this.events.delete(oldest);
    }
    this.events.set(event.id, event);
  }
}
