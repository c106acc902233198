// Cobbler's power verbs through main(), locally and against a running server, with real fence agents: fence-agents'
// fence_dummy keeps a machine's power state in a file, so on, off and status are the agent's own answers. A system
// whose agent is not installed and one whose Redfish BMC is unreachable fail with one line each, without holding
// up the others, and no password reaches the output or the timeline.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { runMain as bootwright, type CliRun as Run, succeeded, suiteDir } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { type RunningServer, startServer } from '../serve.js';

const bootFiles = sharedBootFiles();
const PASSWORD = 'pw-never-shown';

async function seed(run: (...argv: string[]) => Promise<Run>, dir: string): Promise<void> {
  succeeded(await run(...serveTestRootsCommand));
  succeeded(
    await run(
      'distro',
      'add',
      '--name=deb12',
      `--kernel=${bootFiles.kernel}`,
      `--initrd=${bootFiles.initrd}`,
    ),
  );
  succeeded(await run('profile', 'add', '--name=web', '--distro=deb12'));
  for (const name of ['vm1', 'vm2']) {
    succeeded(
      await run(
        'system',
        'add',
        `--name=${name}`,
        '--profile=web',
        '--power-type=dummy',
        `--power-pass=${PASSWORD}`,
        `--power-options=type=file status_file=${join(dir, `${name}.power`)}`,
      ),
    );
  }
  succeeded(await run('system', 'add', '--name=rack1', '--profile=web', '--power-type=nosuchagent'));
  succeeded(
    await run(
      'system',
      'add',
      '--name=rack2',
      '--profile=web',
      '--power-type=redfish',
      '--power-address=127.0.0.1:1',
      '--power-user=admin',
      `--power-pass=${PASSWORD}`,
    ),
  );
}

describe('bootwright system poweron|poweroff|reboot|powerstatus', () => {
  const dir = suiteDir('bootwright-power-cli-');
  const run = (...argv: string[]) => bootwright(['--data-dir', dir, ...argv]);
  before(() => seed(run, dir));

  it('powers every system the glob matches through its fence agent, and reads the state back', async () => {
    assert.equal(
      succeeded(await run('system', 'powerstatus', '--name=vm*')).match(/: off \(fence_dummy/g)?.length,
      2,
    );
    const on = succeeded(await run('system', 'poweron', '--name=vm*'));
    assert.match(on, /^vm1: on done \(fence_dummy, \d+\.\d s\): Success: Powered ON$/m);
    assert.match(on, /^vm2: on done /m);
    assert.equal(
      readFileSync(join(dir, 'vm1.power'), 'utf8').trim(),
      'on',
      'the agent itself changed the state',
    );
    assert.match(succeeded(await run('system', 'powerstatus', '--name=vm1')), /^vm1: on \(fence_dummy/);
    succeeded(await run('system', 'poweroff', '--name=vm2'));
    const states = succeeded(await run('--format=json', 'system', 'powerstatus', '--name=vm*'));
    assert.deepEqual(
      (JSON.parse(states) as { system: string; state: string }[]).map((r) => [r.system, r.state]),
      [
        ['vm1', 'on'],
        ['vm2', 'off'],
      ],
    );
    const timeline = succeeded(await run('status', '--system=vm2'));
    assert.match(
      timeline,
      /power off by \S+ \(command line\) through fence_dummy: done in \d+\.\d s \(Success: Powered OFF\)/,
    );
    assert.doesNotMatch(`${on}${states}${timeline}`, new RegExp(PASSWORD));
  });

  it('fails one line per system that cannot be powered, naming the system, driver and fix', async () => {
    const result = await run('system', 'poweron', '--name=*');
    assert.equal(result.code, 8);
    assert.match(result.stdout, /^vm1: on done/m, 'the working systems were powered all the same');
    const lines = result.stderr.trimEnd().split('\n');
    assert.deepEqual(lines.sort(), [
      'bootwright: System rack1: power type "nosuchagent" needs fence_nosuchagent, which is not installed; install fence-agents or set --power-type.',
      'bootwright: System rack2: cannot reach the Redfish BMC at 127.0.0.1:1 (ECONNREFUSED); check --power-address and the network.',
    ]);
    assert.doesNotMatch(result.stderr, new RegExp(PASSWORD));
    const none = await run('system', 'poweron', '--name=db*');
    assert.equal(none.code, 3);
    assert.equal(
      none.stderr,
      'bootwright: No system matches --name="db*"; "bootwright system list" lists them.\n',
    );
  });

  it('reinstalls: netboot on again, and the machine started (fence_dummy cannot set a boot device)', async () => {
    succeeded(await run('system', 'edit', '--name=vm2', '--netboot-enabled=false'));
    succeeded(await run('system', 'poweroff', '--name=vm2'));
    const done = succeeded(await run('system', 'reinstall', '--name=vm2'));
    assert.match(done, /^vm2: reinstall done \(fence_dummy, \d+\.\d s\): netboot on; Success: Powered ON$/m);
    assert.equal(readFileSync(join(dir, 'vm2.power'), 'utf8').trim(), 'on');
    const report = JSON.parse(succeeded(await run('--format=json', 'system', 'report', '--name=vm2'))) as
      | { netboot_enabled: boolean }
      | { netboot_enabled: boolean }[];
    assert.equal((Array.isArray(report) ? report[0] : report)?.netboot_enabled, true);
    assert.match(
      succeeded(await run('status', '--system=vm2')),
      /reinstall by \S+ \(command line\) through fence_dummy: done in \d+\.\d s \(netboot on; Success: Powered ON\)/,
    );
  });

  it('is named by check: a power type whose agent is missing, with the fix', async () => {
    const report = await run('check');
    assert.match(
      report.stdout,
      /Power control of system rack1 cannot work: power type nosuchagent needs fence_nosuchagent, which is not installed\./,
    );
    assert.match(report.stdout, /apt-get install fence-agents, or set --power-type/);
    assert.doesNotMatch(
      report.stdout,
      /Power control of [^\n]*(vm1|rack2)/,
      'working power settings are not flagged',
    );
  });

  describe('against a running server (--server)', () => {
    let server: RunningServer;
    before(async () => {
      server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    });
    after(() => server.stop());

    it('powers through the server, which needs a token to change a machine', async () => {
      const remote = (...argv: string[]) => run(`--server=http://127.0.0.1:${server.port}`, ...argv);
      succeeded(await remote('system', 'poweroff', '--name=vm1'));
      assert.equal(readFileSync(join(dir, 'vm1.power'), 'utf8').trim(), 'off');
      assert.match(succeeded(await remote('system', 'powerstatus', '--name=vm1')), /^vm1: off \(fence_dummy/);
      assert.ok(existsSync(join(dir, 'vm2.power')));
      const failing = await remote('system', 'reboot', '--name=rack2');
      assert.equal(failing.code, 8);
      assert.match(
        failing.stderr,
        /^bootwright: System rack2: cannot reach the Redfish BMC at 127\.0\.0\.1:1/,
      );
    });
  });
});
