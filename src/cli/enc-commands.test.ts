// `bootwright role ...`, `bootwright role test FQDN` and `bootwright ext-nodes FQDN` through main(), on a local
// data directory and against a running server.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import {
  runMain as bootwright,
  failed,
  type CliRun as Run,
  succeeded,
  suiteDir,
} from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { dataPaths } from '../config/paths.js';
import { type RunningServer, startServer } from '../serve.js';
import { openStore } from '../store/open-store.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

/** A distro, profile and system web1.example.org, and three rules: a merging base, web by regex, db by glob. */
async function seed(run: (...argv: string[]) => Promise<Run>): Promise<void> {
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
  succeeded(await run('profile', 'add', '--name=web', '--distro=deb12', '--mgmt-classes=base'));
  succeeded(
    await run(
      'system',
      'add',
      '--name=web1',
      '--profile=web',
      '--dns-name=web1.example.org',
      '--status=testing',
    ),
  );
  succeeded(
    await run('role', 'add', '--name=all', '--pattern=*', '--priority=10', '--merge=true', '--classes=ntp'),
  );
  succeeded(
    await run(
      'role',
      'add',
      '--name=web',
      '--pattern',
      '/^web\\d+\\./',
      '--priority=50',
      '--classes',
      'role_web nginx',
      '--parameters=tier=web',
      '--environment=staging',
    ),
  );
  succeeded(
    await run(
      'role',
      'add',
      '--name=db',
      '--pattern',
      'db*.example.org',
      '--priority=60',
      '--classes=role_db',
    ),
  );
}

describe('bootwright role and ext-nodes on a local data directory', () => {
  const dataDir = suiteDir('bootwright-enc-');
  const run = (...argv: string[]) => bootwright(['--data-dir', dataDir, ...argv]);
  before(() => seed(run));

  it('lists, reports, finds, edits, copies, renames and removes roles like any object', async () => {
    assert.equal(succeeded(await run('role', 'list')), 'all\ndb\nweb\n');
    const report = succeeded(await run('role', 'report', '--name=web'));
    assert.match(report, /^Pattern +: \/\^web\\d\+\\\.\/$/m);
    assert.match(report, /^Classes +: role_web nginx$/m);
    assert.match(report, /^Merge +: False$/m);
    assert.equal(succeeded(await run('role', 'find', '--classes=role_*')), 'db\nweb\n');
    succeeded(await run('role', 'copy', '--name=db', '--newname=db2', '--pattern=pg*.example.org'));
    succeeded(await run('role', 'rename', '--name=db2', '--newname=pg'));
    succeeded(await run('role', 'edit', '--name=pg', '--priority=70', '--comment=PostgreSQL hosts'));
    assert.match(succeeded(await run('role', 'report', '--name=pg')), /^Priority +: 70$/m);
    succeeded(await run('role', 'remove', '--name=pg'));
    assert.match(succeeded(await run('list')), /roles:\n {3}all\n {3}db\n {3}web\n/);
  });

  it('refuses a bad pattern in one sentence and writes nothing', async () => {
    failed(
      await run('role', 'edit', '--name=web', '--pattern=/^web(/'),
      2,
      '--pattern "/^web(/" is not a valid regular expression: Unterminated group.',
    );
    failed(await run('role', 'add', '--name=x', '--pattern=web 1'), 2, 'is not a host name glob');
    failed(await run('role', 'add', '--name=x', '--classes=a'), 2, 'Role "x" needs --pattern.');
    assert.equal(succeeded(await run('role', 'list')), 'all\ndb\nweb\n');
  });

  it('prints the ENC YAML puppet reads and records the check-in', async () => {
    assert.deepEqual(parse(succeeded(await run('ext-nodes', 'web1.example.org'))), {
      classes: ['base', 'ntp', 'role_web', 'nginx'],
      parameters: { from_cobbler: true, tier: 'web' },
      environment: 'testing',
    });
    assert.equal(
      succeeded(await run('ext-nodes', 'db3.example.org')),
      'classes:\n  - ntp\n  - role_db\nparameters: {}\n',
    );
    const store = openStore(dataPaths(dataDir).storeUrl);
    try {
      const events = await store.events.query({ type: 'enc.checkin' });
      assert.deepEqual(
        events.map((event) => [event.system, event.detail.fqdn, event.detail.classes]),
        [
          ['web1', 'web1.example.org', 'base ntp role_web nginx'],
          [undefined, 'db3.example.org', 'ntp role_db'],
        ],
      );
    } finally {
      await store.close();
    }
  });

  it('shows with role test which rule matched and why, and records nothing', async () => {
    assert.equal(
      succeeded(await run('role', 'test', 'web2.example.org')),
      [
        'Host web2.example.org',
        'System: none has this DNS name or hostname; the rules alone decide',
        'Rules, in the order tried:',
        '  all  priority 10   matched    glob "*" matches; merge: later rules may add to it',
        '  web  priority 50   matched    regular expression /^web\\d+\\./ matches; first match without merge: matching stops',
        '  db   priority 60   not tried  rule "web" matched first and does not merge',
        'ENC answer:',
        'classes:',
        '  - ntp',
        '  - role_web',
        '  - nginx',
        'parameters:',
        '  tier: web',
        'environment: staging',
        '',
      ].join('\n'),
    );
    assert.match(
      succeeded(await run('role', 'test', 'WEB1.example.org.')),
      /^System: web1 \(found by DNS name\)/m,
    );
    const json = JSON.parse(succeeded(await run('role', 'test', 'mail.example.org', '--format=json')));
    assert.deepEqual(
      json.rules.map((verdict: { rule: string; outcome: string }) => `${verdict.rule} ${verdict.outcome}`),
      ['all matched', 'web no-match', 'db no-match'],
    );
    const store = openStore(dataPaths(dataDir).storeUrl);
    try {
      const hosts = (await store.events.query({ type: 'enc.checkin' })).map((event) => event.detail.fqdn);
      assert.ok(!hosts.includes('web2.example.org') && !hosts.includes('mail.example.org'));
    } finally {
      await store.close();
    }
  });

  it('takes the host name as a word and says so when it is missing', async () => {
    failed(
      await run('ext-nodes'),
      2,
      '"bootwright ext-nodes" needs the host name: bootwright ext-nodes FQDN.',
    );
    failed(await run('role', 'test'), 2, 'bootwright role test FQDN');
    failed(
      await run('ext-nodes', 'a.example.org', 'b.example.org'),
      2,
      'Unexpected argument "b.example.org"',
    );
    failed(await run('ext-nodes', 'web_1!'), 2, 'Host name "web_1!" is not valid');
    failed(await run('ext-nodes', 'web1.example.org', '--format=json'), 2, 'role test --format=json');
    assert.match(succeeded(await run('ext-nodes', '--help')), /^Usage: bootwright ext-nodes FQDN\n/);
    const help = succeeded(await run('--help'));
    assert.match(help, /^ {2}ext-nodes +Print a host's classes, parameters and environment as YAML/m);
    assert.match(help, /^ {2}role +A host name pattern that gives matching hosts puppet classes/m);
    assert.match(succeeded(await run('role', '--help')), /^ {2}test +Show which role rules match/m);
  });
});

describe('bootwright ext-nodes --server', () => {
  const dataDir = suiteDir('bootwright-enc-');
  let server: RunningServer;
  let url = '';
  before(async () => {
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 }, {});
    url = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.stop());
  const run = (...argv: string[]) => bootwright(['--server', url, '--data-dir', dataDir, ...argv]);

  it('asks the server, as cobbler-ext-nodes does, and the server records the check-in', async () => {
    await seed(run);
    assert.deepEqual(parse(succeeded(await run('ext-nodes', 'web1.example.org'))).classes, [
      'base',
      'ntp',
      'role_web',
      'nginx',
    ]);
    assert.match(succeeded(await run('role', 'test', 'db1.example.org')), /^ {2}db +priority 60 +matched/m);
    await server.events.flush();
    const response = await fetch(`${url}/api/v1/events?type=enc.checkin`);
    const { items } = (await response.json()) as { items: { system?: string; detail: { fqdn: string } }[] };
    assert.deepEqual(
      items.map((event) => [event.system, event.detail.fqdn]),
      [['web1', 'web1.example.org']],
    );
  });
});
