import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { BootwrightError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { RepoMirrors } from '../mirror/contract.js';
import type { EventInput } from '../store/store.js';
import { parseMethodResponse, serializeMethodCall, type XmlRpcValue } from '../xmlrpc/codec.js';
import { createApp } from './app.js';
import { CobblerTasks } from './cobbler-tasks.js';

/** Mirrors that take a moment per repo, so that a task is seen running, and fail the repo named "broken". */
function slowMirrors(): RepoMirrors & { synced: string[] } {
  const synced: string[] = [];
  return {
    synced,
    async sync(repo, options) {
      synced.push(repo.name);
      options?.log?.(`fetched repodata/repomd.xml (tries ${options.tries ?? 'default'})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      options?.progress?.({
        repo: repo.name,
        filesDone: 4,
        filesTotal: 4,
        bytesDone: 5000,
        bytesTotal: 5000,
      });
      if (repo.name === 'broken')
        throw new BootwrightError('E_INVALID', 'Packages/x.rpm: expected 10 bytes, received 12');
      return {
        repo: repo.name,
        snapshot: 'snap-1',
        files: 4,
        packages: 2,
        bytes: 5000,
        downloaded: 5000,
        seconds: 0.1,
      };
    },
    status: async () => ({}),
    currentDir: () => undefined,
    remove: async () => 0,
  };
}

/** What the reposync and task routes answer, error bodies included. */
interface RestAnswer {
  task: string;
  state: string;
  log: string;
  error: { message: string };
}

async function setup(t: TestContext) {
  const fixture = await apiFixture(t);
  for (const name of ['epel', 'broken'])
    await fixture.services.inventory.add('repo', { name, mirror: `http://192.0.2.1/${name}/` });
  const mirrors = slowMirrors();
  const events: EventInput[] = [];
  const app = createApp({
    ...fixture.services,
    mirrors,
    events: { publish: (event: EventInput) => events.push(event) } as unknown as EventBus,
  });
  const rest = async (method: string, path: string, body?: unknown, token = fixture.adminToken) => {
    const response = await app.request(`/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as RestAnswer };
  };
  const xmlrpc = async (method: string, params: XmlRpcValue[]) => {
    const response = await app.request('/cobbler_api', {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: serializeMethodCall(method, params),
    });
    const answer = parseMethodResponse(await response.text());
    if (!answer.ok) throw new Error(answer.faultString);
    return answer.value;
  };
  const finished = async (id: string) => {
    for (let poll = 0; poll < 100; poll++) {
      const { json } = await rest('GET', `/tasks/${id}`);
      if (json.state !== 'running') return json;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`task ${id} did not end`);
  };
  return { ...fixture, app, mirrors, events, rest, xmlrpc, finished };
}

describe('reposync over REST and XML-RPC', () => {
  it('POST /api/v1/reposync starts a task at once; GET /api/v1/tasks/ID follows it to its end', async (t) => {
    const { rest, finished, mirrors, events } = await setup(t);
    const started = await rest('POST', '/reposync', { name: 'epel', tries: 2 });
    assert.equal(started.status, 202);
    assert.match(started.json.task, /^\d{4}-\d\d-\d\d_\d{6}_Reposync_[0-9a-f]{32}$/);
    assert.equal((await rest('GET', `/tasks/${started.json.task}`)).json.state, 'running');
    const task = await finished(started.json.task);
    assert.equal(task.state, 'complete');
    assert.match(task.log, /epel: fetched repodata\/repomd\.xml \(tries 2\)/);
    // Progress reaches the log as a line at each tenth, for a client that polls it.
    assert.match(task.log, /epel: 100% \(4\/4 files, 5\.0\/5\.0 kB, /);
    assert.match(
      task.log,
      /epel: synced in 0\.1 s \(5\.0 kB downloaded\); serving snapshot snap-1: 4 files, 2 packages, 5\.0 kB/,
    );
    assert.deepEqual(mirrors.synced, ['epel']);
    assert.deepEqual(
      events.map((event) => event.type),
      ['reposync.start', 'reposync.done'],
    );
  });

  it('a failed repo fails the task with its one line; no_fail syncs the others first', async (t) => {
    const { rest, finished, mirrors } = await setup(t);
    const { json } = await rest('POST', '/reposync', { no_fail: true });
    const task = await finished(json.task);
    assert.equal(task.state, 'failed');
    assert.deepEqual(mirrors.synced.sort(), ['broken', 'epel']);
    assert.match(task.log, /broken: failed: Packages\/x\.rpm: expected 10 bytes, received 12/);
    assert.match(task.log, /reposync failed for repo "broken"/);
  });

  it('refuses callers without an admin token and bad bodies, each with one sentence', async (t) => {
    const { rest, app } = await setup(t);
    assert.equal((await rest('POST', '/reposync', {}, '')).status, 401);
    const viewerToken = (
      (await (
        await app.request('/api/v1/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'viewer', password: 'secret-viewer' }),
        })
      ).json()) as { token: string }
    ).token;
    assert.equal((await rest('POST', '/reposync', {}, viewerToken)).status, 403);
    const tries = await rest('POST', '/reposync', { tries: -1 });
    assert.equal(tries.status, 400);
    assert.equal(
      tries.json.error.message,
      'Tries "-1" is not a whole number from 1 to 100; give e.g. --tries=3.',
    );
    const unknown = await rest('POST', '/reposync', { repo: 'epel' });
    assert.equal(
      unknown.json.error.message,
      'Unknown reposync option "repo"; it takes name, only_new, tries and no_fail.',
    );
    assert.equal((await rest('GET', '/tasks/nope')).status, 404);
    const mirror = await rest('GET', '/repos/nosuch/mirror');
    assert.equal(mirror.status, 404);
    assert.deepEqual((await rest('GET', '/repos/epel/mirror')).json, {});
  });

  it("background_reposync takes Cobbler's options, and either API reads the task log", async (t) => {
    const { xmlrpc, rest, finished, mirrors, sharedSecret } = await setup(t);
    const token = (await xmlrpc('login', ['', sharedSecret])) as string;
    const id = (await xmlrpc('background_reposync', [
      { repos: ['epel'], only_new: false, tries: 3, nofail: true },
      token,
    ])) as string;
    assert.match(id, /_Reposync_/);
    await finished(id);
    assert.deepEqual(mirrors.synced, ['epel']);
    const log = (await xmlrpc('get_event_log', [id])) as string;
    assert.match(log, /epel: synced in [\s\S]*serving snapshot snap-1[\s\S]*### TASK COMPLETE ###/);
    const [, name, state] = (await xmlrpc('get_task_status', [id])) as XmlRpcValue[];
    assert.deepEqual([name, state], ['Reposync', 'complete']);
    // Cobbler's CLI passes `only`; a REST-started task's log is read over XML-RPC too.
    const only = (await xmlrpc('background_reposync', [{ only: 'broken' }, token])) as string;
    await finished(only);
    assert.match(
      (await xmlrpc('get_event_log', [only])) as string,
      /expected 10 bytes, received 12[\s\S]*### TASK FAILED ###/,
    );
    const started = (await rest('POST', '/reposync', { name: 'epel' })).json.task as string;
    await finished(started);
    assert.match((await xmlrpc('get_event_log', [started])) as string, /### TASK COMPLETE ###/);
  });

  it('stops a running reposync when the server stops, and waits for it to end', async (t) => {
    const fixture = await apiFixture(t);
    await fixture.services.inventory.add('repo', { name: 'big', mirror: 'http://192.0.2.1/big/' });
    const tasks = new CobblerTasks();
    let sawSignal: AbortSignal | undefined;
    const mirrors: RepoMirrors = {
      sync: (repo, options) =>
        new Promise((_resolve, reject) => {
          sawSignal = options?.signal;
          options?.signal?.addEventListener('abort', () =>
            reject(
              new BootwrightError(
                'E_UNAVAILABLE',
                `Repo "${repo.name}": the sync was stopped; it resumes next time.`,
              ),
            ),
          );
        }),
      status: async () => ({}),
      currentDir: () => undefined,
      remove: async () => 0,
    };
    const app = createApp({ ...fixture.services, mirrors, tasks });
    const started = await app.request('/api/v1/reposync', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.adminToken}` },
      body: '{}',
    });
    const { task } = (await started.json()) as RestAnswer;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(sawSignal, 'the engine is handed the signal');
    await tasks.close();
    const ended = tasks.task(task);
    assert.equal(ended?.state, 'failed');
    assert.match(ended?.log ?? '', /Repo "big": the sync was stopped; it resumes next time\./);
  });
});
