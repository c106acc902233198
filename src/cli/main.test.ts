import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { type CliRunOptions, failed, runMain, succeeded, suiteDir } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { verifyPassword } from '../auth/password.js';
import { dataPaths } from '../config/paths.js';
import { type RunningServer, startServer } from '../serve.js';
import { UsersFile } from '../store/users-file.js';
import { version } from '../version.js';
import { main } from './main.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const bootwright = runMain;

const vm9 = [
  'system',
  'add',
  '--name=vm9',
  '--profile=redhat-5.5-xen-i386',
  '--hostname=vm9',
  '--dns-name=vm9.example.org',
  '--ip-address=192.0.2.9',
  '--mac=random',
];

describe('bootwright on a local data directory', () => {
  const dataDir = suiteDir();
  const run = (...argv: string[]) => bootwright(['--data-dir', dataDir, ...argv]);
  const json = async (...argv: string[]) => JSON.parse(succeeded(await run(...argv, '--format=json')));
  /** Everything in the store, to show that a failed command wrote nothing. */
  const everything = () => json('report');
  before(async () => succeeded(await run(...serveTestRootsCommand)));

  /** Runs a command that must fail and checks that the inventory is exactly as before. */
  async function failsAndChangesNothing(argv: string[], code: number, text: string): Promise<void> {
    const before = await everything();
    failed(await run(...argv), code, text);
    assert.deepEqual(await everything(), before);
  }

  it('adds a distro, a profile and the system of the documentation, printing nothing', async () => {
    assert.equal(
      succeeded(
        await run(
          'distro',
          'add',
          '--name',
          'rhel55',
          '--kernel',
          bootFiles.kernel,
          '--initrd',
          bootFiles.initrd,
          '--kopts',
          'foo=1 bar=3 not-wanted',
        ),
      ),
      '',
    );
    succeeded(
      await run(
        'profile',
        'add',
        '--name=redhat-5.5-xen-i386',
        '--distro=rhel55',
        '--kopts=!not-wanted bar=2',
      ),
    );
    assert.equal(succeeded(await run(...vm9)), '');
  });

  it('lists names one per line, or a JSON array', async () => {
    assert.equal(succeeded(await run('system', 'list')), 'vm9\n');
    assert.equal(succeeded(await run('profile', 'list')), 'redhat-5.5-xen-i386\n');
    assert.deepEqual(await json('distro', 'list'), ['rhel55']);
    assert.equal(
      succeeded(await run('list')),
      'distros:\n   rhel55\nprofiles:\n   redhat-5.5-xen-i386\nsystems:\n   vm9\nrepos:\nimages:\nmgmtclasses:\npackages:\nfiles:\nmenus:\nroles:\n',
    );
  });

  it('reports the system with its interface, in text and JSON', async () => {
    const text = succeeded(await run('system', 'report', '--name=vm9'));
    assert.match(text, /^Name {27}: vm9\n/);
    assert.match(text, /^Hostname {23}: vm9$/m);
    assert.match(text, /^Interface ===== {16}: default$/m);
    assert.match(text, /^MAC Address {20}: 00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/m);
    assert.match(text, /^IP Address {21}: 192\.0\.2\.9$/m);
    assert.match(text, /^DNS Name {23}: vm9\.example\.org$/m);
    assert.match(text, /^Virt Type {22}: <<inherit>>$/m);
    const object = await json('system', 'report', '--name=vm9');
    assert.equal(object.name, 'vm9');
    assert.equal(object.profile, 'redhat-5.5-xen-i386');
    assert.equal(object.interfaces.default.ip_address, '192.0.2.9');
    assert.equal(succeeded(await run('system', 'report')), text);
  });

  it('finds by glob on object and interface fields', async () => {
    assert.equal(succeeded(await run('system', 'find', '--hostname=vm*')), 'vm9\n');
    assert.equal(succeeded(await run('system', 'find', '--mac=00:16:3E:*')), 'vm9\n');
    assert.equal(succeeded(await run('system', 'find', '--ip=10.*')), '');
    assert.equal(succeeded(await run('profile', 'find', '--distro=rhel5?')), 'redhat-5.5-xen-i386\n');
    assert.deepEqual(
      (await json('system', 'find', '--name=vm*', '--profile=redhat*')).map((o: { name: string }) => o.name),
      ['vm9'],
    );
  });

  it('dumpvars shows kernel options merged along distro, profile and system', async () => {
    succeeded(await run('system', 'edit', '--name=vm9', '--kopts=baz=3'));
    const text = succeeded(await run('system', 'dumpvars', '--name=vm9'));
    assert.match(text, /^kernel_options : foo=1 bar=2 baz=3$/m);
    assert.match(text, /^ip_address_default : 192\.0\.2\.9$/m);
    assert.match(text, /^virt_type : xenpv$/m);
    const keys = text
      .trimEnd()
      .split('\n')
      .map((line) => line.split(' : ')[0] ?? '');
    assert.deepEqual(keys, [...keys].sort());
    const view = await json('system', 'dumpvars', '--name=vm9');
    // Templates see kernel options as one string, as Cobbler's templar gives them.
    assert.equal(view.kernel_options, 'foo=1 bar=2 baz=3');
    assert.match(
      succeeded(await run('profile', 'dumpvars', '--name=redhat-5.5-xen-i386')),
      /^kernel_options : foo=1 bar=2$/m,
    );
  });

  it('edits dictionaries in place with --in-place, and replaces them without', async () => {
    succeeded(await run('system', 'edit', '--name=vm9', '--in-place', '--kopts=quiet ~baz'));
    assert.match(succeeded(await run('system', 'report', '--name=vm9')), /^Kernel Options {17}: quiet$/m);
    succeeded(await run('system', 'edit', '--name=vm9', '--in-place', '--kopts=console=ttyS0'));
    assert.match(
      succeeded(await run('system', 'report', '--name=vm9')),
      /^Kernel Options {17}: quiet console=ttyS0$/m,
    );
    succeeded(await run('system', 'edit', '--name=vm9', '--kopts=a=1'));
    assert.match(succeeded(await run('system', 'report', '--name=vm9')), /^Kernel Options {17}: a=1$/m);
    succeeded(await run('system', 'edit', '--name', 'vm9', '--netboot=0', '--static=true'));
    const object = await json('system', 'report', '--name=vm9');
    assert.equal(object.netboot_enabled, false);
    assert.equal(object.interfaces.default.static, true);
  });

  it('prints the changed object with --format json', async () => {
    const edited = await json('system', 'edit', '--name=vm9', '--comment=lab machine');
    assert.equal(edited.comment, 'lab machine');
  });

  it('copies a system without its unique values, and renames along references', async () => {
    const source = await json('system', 'report', '--name=vm9');
    const copied = await run('system', 'copy', '--name=vm9', '--newname=vm10', '--ip=192.0.2.10');
    assert.equal(copied.code, 0);
    assert.equal(copied.stdout, '');
    // One line says what was left behind; the IP given for the copy is not among it.
    assert.match(
      copied.stderr,
      /^bootwright: system "vm10" was copied without what must stay unique \(hostname vm9, default mac_address [0-9a-f:]{17}, default dns_name vm9\.example\.org\); [^\n]*\n$/,
    );
    const copy = await json('system', 'report', '--name=vm10');
    assert.equal(copy.interfaces.default.ip_address, '192.0.2.10');
    assert.equal(copy.interfaces.default.mac_address, '');
    assert.equal(copy.comment, source.comment);
    assert.equal(succeeded(await run('system', 'rename', '--name=vm10', '--newname=vm11')), '');
    assert.equal(succeeded(await run('system', 'list')), 'vm11\nvm9\n');
    succeeded(await run('profile', 'rename', '--name=redhat-5.5-xen-i386', '--newname=rhel55-xen'));
    assert.equal((await json('system', 'report', '--name=vm9')).profile, 'rhel55-xen');
    assert.equal(succeeded(await run('system', 'find', '--profile=rhel55-xen')), 'vm11\nvm9\n');
  });

  it('refuses a duplicate name and changes nothing', async () => {
    await failsAndChangesNothing(
      ['distro', 'add', '--name=rhel55', `--kernel=${bootFiles.kernel}`, `--initrd=${bootFiles.initrd}`],
      4,
      'Distro "rhel55" already exists',
    );
  });

  it('refuses an unknown profile', async () => {
    await failsAndChangesNothing(
      ['system', 'add', '--name=vm20', '--profile=nope'],
      3,
      'profile "nope" does not exist',
    );
  });

  it('refuses a malformed MAC', async () => {
    await failsAndChangesNothing(
      ['system', 'add', '--name=vm20', '--profile=rhel55-xen', '--mac=zz:zz'],
      2,
      '"zz:zz" is not valid',
    );
  });

  it('refuses an unknown flag, naming it and pointing to --help', async () => {
    await failsAndChangesNothing(
      ['system', 'add', '--name=vm20', '--profile=rhel55-xen', '--bogus'],
      2,
      'Unknown option "--bogus" for "bootwright system add"; "bootwright system add --help" lists the options.',
    );
  });

  it('refuses an ambiguous prefix, listing the candidates', async () => {
    await failsAndChangesNothing(
      ['system', 'edit', '--name=vm9', '--ipv6=2001:db8::9'],
      2,
      'may mean --ipv6-default-device, --ipv6-autoconfiguration, --ipv6-address',
    );
  });

  it('refuses a MAC another system has, keeping the rest of the edit out too', async () => {
    const mac = (await json('system', 'report', '--name=vm9')).interfaces.default.mac_address;
    await failsAndChangesNothing(
      ['system', 'edit', '--name=vm11', '--ip=192.0.2.77', `--mac=${mac}`],
      4,
      'already used by system "vm9"',
    );
  });

  it('needs --name and --newname where Cobbler does', async () => {
    await failsAndChangesNothing(
      ['system', 'edit', '--hostname=x'],
      2,
      '"bootwright system edit" needs --name=NAME',
    );
    await failsAndChangesNothing(['system', 'copy', '--name=vm9'], 2, 'needs --newname=NAME');
    await failsAndChangesNothing(['system', 'report', '--name=nope'], 3, 'System "nope" does not exist');
  });

  it('refuses to orphan systems without --recursive', async () => {
    await failsAndChangesNothing(['profile', 'remove', '--name=rhel55-xen'], 5, 'pass --recursive');
  });

  it('removes silently, and lists what --recursive removed', async () => {
    assert.equal(succeeded(await run('system', 'remove', '--name=vm11')), '');
    assert.equal(
      succeeded(await run('distro', 'remove', '--name=rhel55', '--recursive')),
      'removed system vm9\nremoved profile rhel55-xen\nremoved distro rhel55\n',
    );
    assert.deepEqual(await everything(), {
      distro: [],
      profile: [],
      system: [],
      repo: [],
      image: [],
      mgmtclass: [],
      package: [],
      file: [],
      menu: [],
      role: [],
    });
  });

  it('prints what was removed with --format json', async () => {
    succeeded(await run('repo', 'add', '--name=epel', '--mirror=http://mirror.example.org/epel'));
    assert.deepEqual(await json('repo', 'remove', '--name=epel'), [{ kind: 'repo', name: 'epel' }]);
  });

  it('takes global options anywhere on the line', async () => {
    assert.equal(
      succeeded(await bootwright(['distro', 'list', '--format', 'json', '--data-dir', dataDir])),
      '[]\n',
    );
  });
});

describe('bootwright setting', () => {
  const dataDir = suiteDir();
  const run = (...argv: string[]) => bootwright(['--data-dir', dataDir, ...argv]);

  it('reports, edits and resets a setting', async () => {
    assert.equal(
      succeeded(await run('setting', 'report', '--name=server')),
      `${'server'.padEnd(30)} : 127.0.0.1\n`,
    );
    assert.equal(succeeded(await run('setting', 'edit', '--name=server', '--value=192.0.2.1')), '');
    assert.equal(
      succeeded(await run('setting', 'report', '--name=server')),
      `${'server'.padEnd(30)} : 192.0.2.1\n`,
    );
    assert.deepEqual(JSON.parse(succeeded(await run('setting', 'reset', '--name=server', '--format=json'))), {
      server: '127.0.0.1',
    });
    const all = succeeded(await run('setting', 'report'));
    assert.match(all, /^default_virt_type {14}: xenpv$/m);
    assert.match(all, /^pxe_just_once {18}: True$/m);
  });

  it('refuses bad names and values', async () => {
    failed(await run('setting', 'report', '--name=nope'), 3, 'Setting "nope" does not exist');
    failed(await run('setting', 'edit', '--name=http_port', '--value=eighty'), 2, '"eighty"');
    failed(await run('setting', 'edit', '--name=http_port'), 2, 'needs --value=VALUE');
    assert.equal(
      succeeded(await run('setting', 'report', '--name=http_port')),
      `${'http_port'.padEnd(30)} : 80\n`,
    );
  });
});

describe('bootwright user', () => {
  const dataDir = suiteDir();
  const run = (argv: string[], options?: CliRunOptions) =>
    bootwright(['--data-dir', dataDir, ...argv], options);

  it('adds users with a password from the flag or from standard input', async () => {
    assert.equal(succeeded(await run(['user', 'add', '--name=alice', '--password=pw-alice'])), '');
    assert.equal(
      succeeded(await run(['user', 'add', '--name=bob', '--role=readonly'], { stdin: 'pw-bob\n' })),
      '',
    );
    assert.equal(
      succeeded(await run(['user', 'list'])),
      `${'alice'.padEnd(30)} : admin\n${'bob'.padEnd(30)} : readonly\n`,
    );
    const users = await new UsersFile(dataPaths(dataDir).usersFile).entries();
    assert.equal(await verifyPassword('pw-alice', users.get('alice')?.hash ?? ''), true);
    assert.equal(await verifyPassword('pw-bob', users.get('bob')?.hash ?? ''), true);
  });

  it('will not wait for a password on a terminal', async () => {
    failed(await run(['user', 'add', '--name=carol'], { stdin: 'tty' }), 2, 'needs --password=PASSWORD');
    failed(await run(['user', 'add', '--name=carol'], { stdin: '\n' }), 2, 'is empty');
    failed(await run(['user', 'add', '--name=carol', '--password=x', '--role=root']), 2, 'Role "root"');
  });

  it('removes users', async () => {
    assert.equal(succeeded(await run(['user', 'remove', '--name=alice'])), '');
    failed(await run(['user', 'remove', '--name=alice']), 3, 'User "alice" is not in users file');
    assert.deepEqual(JSON.parse(succeeded(await run(['user', 'list', '--format=json']))), [
      { name: 'bob', role: 'readonly' },
    ]);
  });
});

describe('bootwright command line', () => {
  it('prints help, even when the rest of the line is wrong', async () => {
    assert.match(succeeded(await bootwright(['--help'])), /^Usage: bootwright <command>/);
    assert.match(
      succeeded(await bootwright(['system', 'add', '--bogus', '--help'])),
      /--mac-address=MAC, --mac=MAC/,
    );
    assert.match(succeeded(await bootwright(['system', '-h'])), /^ {2}dumpvars /m);
    assert.match(succeeded(await bootwright(['distro', 'add', '--he'])), /--kernel=VALUE/);
  });

  it('prints the version', async () => {
    assert.equal(succeeded(await bootwright(['version'])), `bootwright ${version}\n`);
  });

  it('prints the version for --version too, as other commands do (issue 18)', async () => {
    assert.equal(succeeded(await bootwright(['--version'])), `bootwright ${version}\n`);
  });

  it('calls a wrong action an unknown action, whatever flags follow it (issue 18)', async () => {
    const wrong = await bootwright(['system', 'explode', '--name=vm9']);
    failed(wrong, 2, 'Unknown action "explode" for "bootwright system"; it takes add, copy, edit');
    assert.doesNotMatch(wrong.stderr, /option/i);
    failed(await bootwright(['system', 'add', '--bogus=1']), 2, 'Unknown option "--bogus"');
  });

  it('explains what is missing or unknown', async () => {
    failed(await bootwright([]), 2, 'No command given');
    failed(await bootwright(['frob']), 2, 'Unknown command "frob"');
    failed(await bootwright(['system']), 2, '"bootwright system" needs an action: add, copy');
    failed(await bootwright(['system', 'frob']), 2, 'Unknown action "frob"');
    failed(await bootwright(['distro', 'list', 'extra']), 2, 'Unexpected argument "extra"');
    failed(
      await bootwright(['distro', 'list', '--format=xml']),
      2,
      'Format "xml" is not one of: text, json.',
    );
    failed(await bootwright(['distro', 'add', '--name']), 2, 'Option "--name" needs a value');
  });

  it('turns an unexpected failure into one "internal error" line and status 1', async () => {
    let stderr = '';
    const code = await main(['version'], {
      stdout: {
        write: () => {
          throw new Error('stdout is gone\nreally');
        },
      },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
    });
    assert.equal(code, 1);
    assert.equal(stderr, 'bootwright: internal error: stdout is gone really\n');
  });

  it('runs as a process with the exit status of the error', (t) => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const spawn = (...argv: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...argv], {
        cwd: root,
        encoding: 'utf8',
      });
    const help = spawn('--help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: bootwright/);
    const bad = spawn('--data-dir', tempDir(t), 'system', 'add', '--bogus');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^bootwright: Unknown option "--bogus"[^\n]*\n$/);
  });
});

describe('bootwright --server', () => {
  const dataDir = suiteDir();
  let server: RunningServer;
  let url: string;
  before(async () => {
    succeeded(await bootwright(['--data-dir', dataDir, ...serveTestRootsCommand]));
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 }, {});
    url = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.stop());
  // Beside the server, the CLI logs in with the shared secret from the data directory.
  const run = (...argv: string[]) => bootwright(['--server', url, '--data-dir', dataDir, ...argv]);

  it('works on the inventory of a running server', async () => {
    succeeded(
      await run(
        'distro',
        'add',
        '--name=d',
        `--kernel=${bootFiles.kernel}`,
        `--initrd=${bootFiles.initrd}`,
        '--kopts=a=1',
      ),
    );
    succeeded(await run('profile', 'add', '--name=p', '--distro=d', '--server=192.0.2.5', '--kopts=b=2'));
    assert.equal(succeeded(await run('profile', 'list')), 'p\n');
    assert.match(succeeded(await run('profile', 'report', '--name=p')), /^Server {25}: 192\.0\.2\.5$/m);
    assert.match(succeeded(await run('profile', 'dumpvars', '--name=p')), /^kernel_options : a=1 b=2$/m);
    failed(
      await run('distro', 'add', '--name=d', `--kernel=${bootFiles.kernel}`, `--initrd=${bootFiles.initrd}`),
      4,
      'already exists',
    );
    assert.equal(
      succeeded(await run('distro', 'remove', '--name=d', '--recursive')),
      'removed profile p\nremoved distro d\n',
    );
  });

  it('takes the server from BOOTWRIGHT_SERVER', async () => {
    const env = { BOOTWRIGHT_SERVER: url };
    assert.equal(
      succeeded(await bootwright(['setting', 'report', '--name=server'], { env })),
      `${'server'.padEnd(30)} : 127.0.0.1\n`,
    );
  });

  it('says so in one line when the server cannot be reached', async () => {
    failed(await bootwright(['--server=http://127.0.0.1:9', 'distro', 'list']), 8, 'Cannot reach the server');
  });
});
