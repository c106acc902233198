// Real puppet (Debian's puppet-agent) compiles catalogs offline with bootwright as its external node classifier:
// `node_terminus = exec`, `external_nodes = <bootwright ext-nodes>`, as a puppet server would be set up. The
// classes, parameters and environment bootwright answers must be what ends up in the compiled catalog.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { runMain, suiteDir } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { dataPaths } from '../config/paths.js';
import { openStore } from '../store/open-store.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const hasPuppet = spawnSync('puppet', ['--version'], { encoding: 'utf8' }).status === 0;

interface Catalog {
  environment: string;
  classes: string[];
  resources: { type: string; title: string }[];
}

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

async function bootwright(argv: string[]): Promise<void> {
  const run = await runMain(argv);
  assert.equal(run.code, 0, run.stderr);
}

describe('puppet with bootwright as its external node classifier', {
  skip: hasPuppet ? false : "needs puppet (Debian's puppet-agent package; scripts/setup.sh installs it)",
}, () => {
  const dataDir = suiteDir('bootwright-enc-');
  const puppetDir = suiteDir('bootwright-puppet-');
  const enc = join(puppetDir, 'bootwright-ext-nodes');

  before(async () => {
    const run = (...argv: string[]) => bootwright(['--data-dir', dataDir, ...argv]);
    await run(...serveTestRootsCommand);
    await run(
      'distro',
      'add',
      '--name=deb12',
      `--kernel=${bootFiles.kernel}`,
      `--initrd=${bootFiles.initrd}`,
    );
    await run('profile', 'add', '--name=server', '--distro=deb12', '--mgmt-classes=base');
    await run(
      'system',
      'add',
      '--name=web1',
      '--profile=server',
      '--dns-name=web1.example.org',
      '--status=testing',
    );
    await run(
      'role',
      'add',
      '--name=web',
      '--pattern=web*.example.org',
      '--classes=role_web',
      '--parameters=tier=web',
    );
    await run('role', 'add', '--name=others', '--pattern=*', '--priority=200', '--environment=production');
    await run('role', 'edit', '--name=web', '--environment=production');

    // What an admin writes as external_nodes: the CLI with its data directory, the certname appended by puppet.
    write(
      enc,
      `#!/bin/sh\ncd '${repoRoot}' || exit 1\nexec '${process.execPath}' --import tsx src/cli/run.ts --data-dir='${dataDir}' ext-nodes "$@"\n`,
    );
    chmodSync(enc, 0o755);
    write(
      join(puppetDir, 'modules/role_web/manifests/init.pp'),
      'class role_web {\n  notify { "role web, tier ${::tier}": }\n}\n',
    );
    write(
      join(puppetDir, 'modules/base/manifests/init.pp'),
      'class base {\n  notify { "base in ${server_facts[environment]}": }\n}\n',
    );
    for (const environment of ['production', 'testing'])
      write(join(puppetDir, `code/environments/${environment}/manifests/site.pp`), 'node default { }\n');
  });

  /** `puppet catalog compile` of one node, offline: puppet asks the ENC, then compiles with what it answered. */
  async function compile(node: string): Promise<Catalog> {
    const directories = ['confdir', 'vardir', 'logdir', 'rundir'].flatMap((setting) => [
      `--${setting}`,
      join(puppetDir, setting),
    ]);
    const { stdout } = await promisify(execFile)(
      'puppet',
      [
        'catalog',
        'compile',
        node,
        ...directories,
        `--codedir=${join(puppetDir, 'code')}`,
        `--basemodulepath=${join(puppetDir, 'modules')}`,
        '--node_terminus=exec',
        `--external_nodes=${enc}`,
        '--render-as=json',
        '--color=false',
      ],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    // Puppet prints its "Compiled catalog" notice on stdout before the JSON.
    return JSON.parse(stdout.slice(stdout.indexOf('{'))) as Catalog;
  }

  const notices = (catalog: Catalog) =>
    catalog.resources.filter((resource) => resource.type === 'Notify').map((resource) => resource.title);

  it("compiles the hostname rule's class, its parameters and the system's class and environment", async () => {
    const catalog = await compile('web1.example.org');
    assert.equal(catalog.environment, 'testing');
    assert.ok(catalog.classes.includes('role_web'), `classes: ${catalog.classes.join(', ')}`);
    assert.ok(catalog.classes.includes('base'));
    assert.deepEqual(notices(catalog).sort(), ['base in testing', 'role web, tier web']);
  });

  it('classifies a host bootwright has no system for by the rules alone, and records both check-ins', async () => {
    const web7 = await compile('web7.example.org');
    assert.equal(web7.environment, 'production');
    assert.deepEqual(notices(web7), ['role web, tier web']);
    const mail = await compile('mail.example.org');
    assert.deepEqual(notices(mail), []);

    const store = openStore(dataPaths(dataDir).storeUrl);
    try {
      const checkIns = await store.events.query({ type: 'enc.checkin' });
      assert.deepEqual(
        checkIns.map((event) => [event.detail.fqdn, event.system]),
        [
          ['web1.example.org', 'web1'],
          ['web7.example.org', undefined],
          ['mail.example.org', undefined],
        ],
      );
    } finally {
      await store.close();
    }
  });
});
