// Install reports start trigger processes, and `/cblr/svc/op/trig` is open by default as in Cobbler (issue 16,
// item 9): a flood of reports must not become a flood of processes. On the server `bootwright serve` runs, with a
// trigger that writes its pid and waits to be let go, so that what runs at once can be counted.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { StoredEvent } from '../../src/store/store.js';
import { maxInstallTriggerRuns, maxWaitingInstallTriggerRuns } from '../../src/triggers/trigger-runner.js';
import { sharedBootFiles } from '../support/boot-files.js';
import { servedWithToken } from '../support/served.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The real server with `count` systems vm0, vm1, ... and an install/post trigger that holds until released. */
async function served(t: TestContext, count: number) {
  const { dataDir, base, token } = await servedWithToken(t);
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    assert.ok(response.ok, `${path}: ${await response.text()}`);
  };
  await post('/distros', { name: 'rhel9', kernel: bootFiles.kernel, initrd: bootFiles.initrd });
  await post('/profiles', { name: 'web', distro: 'rhel9' });
  await post(
    '/systems',
    Array.from({ length: count }, (_, n) => ({ name: `vm${n}`, profile: 'web' })),
  );
  const started = join(dataDir, 'started');
  const release = join(dataDir, 'release');
  mkdirSync(join(dataDir, 'triggers', 'install', 'post'), { recursive: true });
  const trigger = join(dataDir, 'triggers', 'install', 'post', '10-hold');
  writeFileSync(
    trigger,
    `#!/bin/sh\necho "$$ $2" >> "${started}"\nwhile [ ! -f "${release}" ]; do sleep 0.05; done\n`,
  );
  chmodSync(trigger, 0o755);
  /** The trigger processes started so far, each as "PID SYSTEM". */
  const starts = (): string[] => {
    try {
      return readFileSync(started, 'utf8').trimEnd().split('\n');
    } catch {
      return [];
    }
  };
  const events = async (type: string): Promise<StoredEvent[]> =>
    ((await (await fetch(`${base}/api/v1/events?type=${type}`)).json()) as { items: StoredEvent[] }).items;
  return { base, dataDir, starts, events, letGo: () => writeFileSync(release, '') };
}

/** Waits until `probe` holds, then a little longer, and returns what it saw last: for counts that must settle. */
async function settled<T>(
  what: string,
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (done(value)) {
      await sleep(500);
      return probe();
    }
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value)} after 15 s`);
    await sleep(50);
  }
}

describe('install trigger limits', () => {
  it('runs a few trigger processes at once for 40 reports, and one per system for repeats', async (t) => {
    const systems = 10;
    const s = await served(t, systems);
    // 40 reports: each system four times, over Cobbler's service URL and the REST twin, all at once.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        n % 4 === 3
          ? fetch(`${s.base}/api/v1/systems/vm${n % systems}/install/post`, { method: 'POST' })
          : fetch(`${s.base}/cblr/svc/op/trig/mode/post/system/vm${n % systems}`),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(40).fill(200),
    );
    const atOnce = await settled(
      'the first triggers',
      s.starts,
      (starts) => starts.length >= maxInstallTriggerRuns,
    );
    assert.equal(atOnce.length, maxInstallTriggerRuns, `processes at once: ${atOnce.join(', ')}`);

    s.letGo();
    const runs = await settled(
      'the trigger runs',
      () => s.events('trigger.run'),
      (found) => found.length >= systems,
    );
    const all = s.starts();
    assert.equal(all.length, systems, `processes in total: ${all.join(', ')}`);
    assert.deepEqual(
      all.map((line) => line.split(' ')[1]).sort(),
      Array.from({ length: systems }, (_, n) => `vm${n}`).sort(),
    );
    assert.equal(runs.length, systems);
    // Every report is still in the install timeline.
    assert.equal((await s.events('install.post')).length, 40);

    // A report after the run has ended is a new install step, and runs again.
    assert.equal((await fetch(`${s.base}/cblr/svc/op/trig/mode/post/system/vm0`)).status, 200);
    await settled('the later run', s.starts, (starts) => starts.length > systems);
    assert.equal(s.starts().length, systems + 1);
  });

  it('keeps a bounded queue and drops reports past it, with an event saying so', async (t) => {
    const extra = 6;
    const systems = maxInstallTriggerRuns + maxWaitingInstallTriggerRuns + extra;
    const s = await served(t, systems);
    const answers = await Promise.all(
      Array.from({ length: systems }, (_, n) => fetch(`${s.base}/cblr/svc/op/trig/mode/post/system/vm${n}`)),
    );
    // The installer is answered as Cobbler answers it: its step is reported, triggers or not.
    assert.deepEqual(await Promise.all(answers.map((answer) => answer.text())), Array(systems).fill('True'));
    const atOnce = await settled(
      'the first triggers',
      s.starts,
      (starts) => starts.length >= maxInstallTriggerRuns,
    );
    assert.equal(atOnce.length, maxInstallTriggerRuns);
    const dropped = await settled(
      'the dropped reports',
      () => s.events('trigger.dropped'),
      (found) => found.length >= extra,
    );
    assert.equal(dropped.length, extra);
    for (const event of dropped) {
      assert.equal(event.detail.dir, 'install/post');
      assert.match(
        String(event.detail.reason),
        new RegExp(
          `${maxInstallTriggerRuns} install trigger runs are going and ${maxWaitingInstallTriggerRuns} waiting`,
        ),
      );
    }
    // Those that waited run once the first are done.
    s.letGo();
    const runs = await settled(
      'the waiting runs',
      () => s.events('trigger.run'),
      (found) => found.length >= systems - extra,
    );
    assert.equal(runs.length, systems - extra);
    assert.equal(s.starts().length, systems - extra);
    const droppedSystems = new Set(dropped.map((event) => event.system));
    assert.ok(
      s.starts().every((line) => !droppedSystems.has(line.split(' ')[1])),
      'a dropped report ran its trigger',
    );
  });
});

describe('netboot-off triggers', () => {
  it('runs the change triggers once per system for a flood of repeated nopxe calls', async (t) => {
    const systems = 10;
    const s = await served(t, systems);
    const started = join(s.dataDir, 'changed');
    const changeDir = join(s.dataDir, 'triggers', 'change');
    mkdirSync(changeDir, { recursive: true });
    writeFileSync(join(changeDir, '10-record'), `#!/bin/sh\necho "$$ $1" >> "${started}"\n`);
    chmodSync(join(changeDir, '10-record'), 0o755);
    const changes = (): string[] => {
      try {
        return readFileSync(started, 'utf8').trimEnd().split('\n');
      } catch {
        return [];
      }
    };
    // nopxe is open with autoinstall_secrets off, as in Cobbler: each system four times, all at once.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, n) => fetch(`${s.base}/cblr/svc/op/nopxe/system/vm${n % systems}`)),
    );
    assert.deepEqual(await Promise.all(answers.map((answer) => answer.text())), Array(40).fill('True'));
    const runs = await settled('the change triggers', changes, (found) => found.length >= systems);
    assert.equal(runs.length, systems, `change triggers run: ${runs.join(', ')}`);
    assert.deepEqual(
      runs.map((line) => line.split(' ')[1]).sort(),
      Array.from({ length: systems }, (_, n) => `vm${n}`).sort(),
    );
  });
});
