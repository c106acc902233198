// Real Ansible against `bootwright serve` on loopback: Debian's ansible package and its community.general
// collection, the cobbler_system and cobbler_sync modules and the cobbler inventory plugin, as a Cobbler site runs
// them. The module decides "changed" by comparing what find_system returns with what the play asks for, so a second
// run with the same play reports ok exactly when bootwright answers as Cobbler does.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { setUserPassword } from '../../src/auth/password.js';
import { dataPaths } from '../../src/config/paths.js';
import { UsersFile } from '../../src/store/users-file.js';
import { runCli } from '../support/cli.js';
import { startServeProcess } from '../support/serve-process.js';
import { serveTestRootsCommand } from '../support/served-roots.js';
import { tempDir } from '../support/temp-dir.js';

const run = promisify(execFile);

interface TaskResult {
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  system?: Record<string, unknown>;
}

/** The JSON callback's per-task results for localhost, by task name. */
function resultsByTask(output: string): Record<string, TaskResult> {
  const report = JSON.parse(output.slice(output.indexOf('{'))) as {
    plays: { tasks: { task: { name: string }; hosts: { localhost: TaskResult } }[] }[];
  };
  return Object.fromEntries(
    (report.plays[0]?.tasks ?? []).map((entry) => [entry.task.name, entry.hosts.localhost]),
  );
}

describe('Ansible community.general against bootwright serve', () => {
  it('creates, changes, syncs and removes a system, lists it in the inventory, and is idempotent', async (t: TestContext) => {
    await run('ansible-playbook', ['--version']).catch(() => {
      throw new Error(
        "ansible-playbook is not installed: scripts/setup.sh installs Debian's ansible package.",
      );
    });
    const dataDir = tempDir(t);
    const files = tempDir(t);
    writeFileSync(join(files, 'vmlinuz'), 'kernel');
    writeFileSync(join(files, 'initrd.img'), 'initrd');
    await setUserPassword(new UsersFile(dataPaths(dataDir).usersFile), 'cobbler', 'cobbler-pass');
    for (const argv of [
      serveTestRootsCommand,
      [
        'distro',
        'add',
        '--name=d',
        `--kernel=${join(files, 'vmlinuz')}`,
        `--initrd=${join(files, 'initrd.img')}`,
      ],
      ['profile', 'add', '--name=web-prod', '--distro=d'],
    ]) {
      const result = await runCli(dataDir, ...argv);
      assert.equal(result.code, 0, result.stderr);
    }
    const server = await startServeProcess([
      `--data-dir=${dataDir}`,
      '--host=127.0.0.1',
      '--port=0',
      '--tftp-port=0',
    ]);
    t.after(() => server.child.kill('SIGTERM'));

    const work = tempDir(t);
    const connection = `host: 127.0.0.1\n        port: ${server.port}\n        use_ssl: false\n        username: cobbler\n        password: cobbler-pass`;
    const system = (name: string, body: string) => `
    - name: ${name}
      community.general.cobbler_system:
        ${connection}
        name: vm1
${body}`;
    const interfaces = (ip: string) => `        interfaces:
          eth0:
            macaddress: '52:54:00:aa:bb:01'
            ipaddress: '${ip}'
            netmask: '255.255.255.0'
            dnsname: vm1.example.org
            dhcptag: rack1
            ifgateway: '192.0.2.1'
            static: true
            management: true
            connected_mode: false`;
    const properties = (comment: string) => `        properties:
          profile: web-prod
          hostname: vm1.example.org
          comment: ${comment}
          status: production`;
    const play = (tasks: string) => `
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: '{{ ansible_playbook_python }}'
  tasks:${tasks}
`;
    writeFileSync(
      join(work, 'present.yml'),
      play(
        [
          system('create', `${properties('first')}\n${interfaces('192.0.2.10')}`),
          system('create again', `${properties('first')}\n${interfaces('192.0.2.10')}`),
          system('change', `${properties('second')}\n${interfaces('192.0.2.11')}\n        sync: true`),
          `
    - name: sync
      community.general.cobbler_sync:
        ${connection}`,
        ].join(''),
      ),
    );
    writeFileSync(
      join(work, 'absent.yml'),
      play(
        [system('remove', '        state: absent'), system('remove again', '        state: absent')].join(''),
      ),
    );
    // The URL, user and password come from the environment: Debian 12's community.general hands a user read from
    // this file to xmlrpc.client as an AnsibleUnicode, which it cannot send (against Cobbler too).
    writeFileSync(join(work, 'bootwright.cobbler.yml'), 'plugin: community.general.cobbler\n');
    const env = {
      ...process.env,
      ANSIBLE_STDOUT_CALLBACK: 'json',
      ANSIBLE_LOCALHOST_WARNING: 'false',
      ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
      ANSIBLE_INVENTORY_ENABLED: 'community.general.cobbler',
      ANSIBLE_HOME: join(work, 'ansible-home'),
      COBBLER_SERVER: `${server.base}/cobbler_api`,
      COBBLER_USER: 'cobbler',
      COBBLER_PASSWORD: 'cobbler-pass',
    };
    const playbook = async (file: string) => {
      const { stdout } = await run('ansible-playbook', [join(work, file)], {
        env,
        cwd: work,
        timeout: 120_000,
      }).catch((error: { stdout?: string; stderr?: string }) => {
        throw new Error(`ansible-playbook ${file} failed: ${error.stdout}\n${error.stderr}`);
      });
      return resultsByTask(stdout);
    };

    const present = await playbook('present.yml');
    assert.equal(present.create?.changed, true, JSON.stringify(present.create));
    assert.equal(present['create again']?.changed, false, JSON.stringify(present['create again']));
    assert.equal(present.change?.changed, true, JSON.stringify(present.change));
    assert.equal(present.sync?.changed, true, 'cobbler_sync always reports a change, against Cobbler too');
    const changed = present.change?.system as Record<string, unknown> & {
      interfaces: Record<string, Record<string, unknown>>;
    };
    assert.equal(changed.comment, 'second');
    assert.equal(changed.status, 'production');
    assert.deepEqual(
      [
        changed.interfaces.eth0?.ip_address,
        changed.interfaces.eth0?.dhcp_tag,
        changed.interfaces.eth0?.if_gateway,
        changed.interfaces.eth0?.management,
      ],
      ['192.0.2.11', 'rack1', '192.0.2.1', true],
    );

    const { stdout: inventoryJson } = await run(
      'ansible-inventory',
      ['-i', join(work, 'bootwright.cobbler.yml'), '--list'],
      { env, cwd: work, timeout: 60_000 },
    );
    const inventory = JSON.parse(inventoryJson) as Record<
      string,
      { hosts?: string[]; children?: string[] }
    > & {
      _meta: { hostvars: Record<string, { cobbler: Record<string, unknown> }> };
    };
    assert.deepEqual(inventory.cobbler_web_prod?.hosts, ['vm1.example.org'], inventoryJson);
    assert.deepEqual(inventory.cobbler_production?.hosts, ['vm1.example.org'], 'grouped by status');
    assert.ok(inventory.cobbler_web?.children?.includes('cobbler_web_prod'), 'profile name hierarchy');
    assert.equal(inventory._meta.hostvars['vm1.example.org']?.cobbler.name, 'vm1');

    const absent = await playbook('absent.yml');
    assert.equal(absent.remove?.changed, true, JSON.stringify(absent.remove));
    assert.equal(absent['remove again']?.changed, false, JSON.stringify(absent['remove again']));
    const listed = await runCli(dataDir, '--server', server.base, 'system', 'list');
    assert.equal(listed.stdout, '');
  });
});
