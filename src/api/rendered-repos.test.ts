// A profile with a repo, as Cobbler sites have them: koan's rendered view must come through whole on every
// interface that serves it (Python's xmlrpc.client as koan calls it, REST, and our own koan --display), with the
// repo's inherited fields (owners) resolved rather than refused as an unresolved "<<inherit>>".

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { runCli } from '../../test/support/cli.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { startServer } from '../serve.js';

interface RenderedWithRepos {
  repos: string;
  repo_data: { name: string; mirror: string; owners: string[] }[];
}

async function pythonRendered(url: string, system: string): Promise<RenderedWithRepos> {
  const script = `
import json, sys, xmlrpc.client
s = xmlrpc.client.ServerProxy(sys.argv[1], allow_none=False)
print(json.dumps(s.get_system_as_rendered(sys.argv[2])))
`;
  // Asynchronous: the server answers from this process, so a blocking spawn would deadlock.
  const { stdout } = await promisify(execFile)('python3', ['-c', script, url, system], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(stdout);
}

describe('the rendered view of a system whose profile has repos', () => {
  it('comes through XML-RPC, REST and koan --display with each repo resolved', async (t: TestContext) => {
    const dataDir = tempDir(t);
    const kernelDir = tempDir(t);
    writeFileSync(`${kernelDir}/vmlinuz`, 'kernel');
    writeFileSync(`${kernelDir}/initrd.img`, 'initrd');
    for (const command of [
      ['setting', 'edit', '--name=served_roots', `--value=/srv ${kernelDir}`],
      [
        'distro',
        'add',
        '--name=d1',
        `--kernel=${kernelDir}/vmlinuz`,
        `--initrd=${kernelDir}/initrd.img`,
        '--breed=redhat',
        '--os-version=rhel9',
      ],
      ['repo', 'add', '--name=epel', '--mirror=http://198.51.100.7/epel/9/x86_64/', '--priority=10'],
      ['repo', 'add', '--name=extras', '--mirror=http://198.51.100.7/extras/', '--owners=alice'],
      ['profile', 'add', '--name=p', '--distro=d1'],
      ['profile', 'edit', '--name=p', '--repos=epel extras'],
      ['system', 'add', '--name=vm9', '--profile=p', '--mac=52:54:00:00:00:09'],
    ]) {
      const result = await runCli(dataDir, ...command);
      assert.equal(result.code, 0, `${command.join(' ')}: ${result.stderr}`);
    }
    const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => server.stop());

    const overXmlRpc = await pythonRendered(`http://127.0.0.1:${server.port}/cobbler_api`, 'vm9');
    assert.deepEqual(
      overXmlRpc.repo_data.map((repo) => [repo.name, repo.mirror, repo.owners]),
      [
        ['epel', 'http://198.51.100.7/epel/9/x86_64/', ['admin']],
        ['extras', 'http://198.51.100.7/extras/', ['alice']],
      ],
      'an inherited owners list takes the default_ownership setting, as Cobbler resolves it',
    );
    assert.equal(overXmlRpc.repos, 'epel extras');
    assert.doesNotMatch(JSON.stringify(overXmlRpc), /<<inherit>>/);

    const overRest = await fetch(`http://127.0.0.1:${server.port}/api/v1/systems/vm9/rendered`);
    assert.equal(overRest.status, 200);
    assert.deepEqual(await overRest.json(), overXmlRpc);

    const display = await runCli(
      tempDir(t),
      'koan',
      '--server=127.0.0.1',
      `--port=${server.port}`,
      '--display',
      '--system=vm9',
    );
    assert.equal(display.stderr, '');
    assert.equal(display.code, 0);
    assert.match(display.stdout, /^ {15}repos {2}: epel extras$/m);
  });
});
