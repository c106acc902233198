import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { runCli, succeeded } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { formatMirrorStatus } from './object-commands.js';
import { terminalReporter } from './reposync-command.js';

describe('bootwright reposync', () => {
  it('says why it leaves each repo alone, and exits 0 when nothing failed', async (t) => {
    const dataDir = tempDir(t);
    const add = (...flags: string[]) => runCli(dataDir, 'repo', 'add', ...flags);
    assert.equal(
      (await add('--name=upstream', '--mirror=http://192.0.2.1/x/', '--mirror-locally=false')).code,
      0,
    );
    assert.equal((await add('--name=rs', '--mirror=rsync://192.0.2.1/x/', '--breed=rsync')).code, 0);
    const run = await runCli(dataDir, 'reposync');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^reposync: upstream: skipped, mirror_locally is off/m);
    assert.match(run.stdout, /^reposync: rs: skipped, bootwright does not mirror rsync repos/m);
    const json = await runCli(dataDir, 'reposync', '--format=json');
    assert.equal(json.code, 0, json.stderr);
    const outcome = JSON.parse(json.stdout);
    assert.deepEqual(outcome.synced, []);
    assert.deepEqual(
      outcome.skipped.map((skip: { repo: string }) => skip.repo),
      ['rs', 'upstream'],
    );
    assert.match(json.stderr, /upstream: skipped/);
  });

  it('refuses a pattern that names no repo, and a --tries that is not a number, each in one line', async (t) => {
    const dataDir = tempDir(t);
    const none = await runCli(dataDir, 'reposync');
    assert.notEqual(none.code, 0);
    assert.equal(
      none.stderr,
      'bootwright: There are no repos to sync; add one with "bootwright repo add --name=NAME --mirror=URL".\n',
    );
    const named = await runCli(dataDir, 'reposync', '--name=epel');
    assert.equal(
      named.stderr,
      'bootwright: No repo is named "epel"; "bootwright repo list" names the repos.\n',
    );
    const tries = await runCli(dataDir, 'reposync', '--tries=many');
    assert.equal(
      tries.stderr,
      'bootwright: Tries "many" is not a whole number from 1 to 100; give e.g. --tries=3.\n',
    );
  });

  it('has help naming its flags, and is listed by bootwright --help', async (t) => {
    const dataDir = tempDir(t);
    const help = await runCli(dataDir, 'reposync', '--help');
    assert.equal(help.code, 0);
    for (const flag of ['--name=GLOB', '--only-new', '--tries=N', '--no-fail'])
      assert.ok(help.stdout.includes(flag), `${flag} in ${help.stdout}`);
    assert.match((await runCli(dataDir, '--help')).stdout, /reposync +Mirror repos/);
  });
});

describe('reposync progress', () => {
  const progress = (filesDone: number, bytesDone: number) => ({
    repo: 'epel',
    filesDone,
    filesTotal: 10,
    bytesDone,
    bytesTotal: 10_000_000,
  });

  it('prints a plain line at each tenth of the way when not on a terminal', () => {
    let text = '';
    let clock = 0;
    const reporter = terminalReporter({ write: (chunk: string) => (text += chunk) }, false, () => clock);
    for (let file = 0; file <= 10; file++) {
      clock = file * 1000;
      reporter.progress?.(progress(file, file * 1_000_000));
    }
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 11);
    assert.equal(lines[5], 'reposync: epel: 50% (5/10 files, 5.0/10.0 MB, 1.0 MB/s, 0:05 left)');
    assert.equal(lines[10], 'reposync: epel: 100% (10/10 files, 10.0/10.0 MB, 1.0 MB/s, 0:00 left)');
    assert.ok(!text.includes('\r'));
  });

  it('redraws one bar in place on a terminal, and clears it before a line', () => {
    let text = '';
    let clock = 0;
    const reporter = terminalReporter({ write: (chunk: string) => (text += chunk) }, true, () => clock);
    clock = 2000;
    reporter.progress?.(progress(0, 0));
    clock = 4000;
    reporter.progress?.(progress(4, 4_000_000));
    reporter.line('epel: done');
    const bar = `epel [${'#'.repeat(10)}${' '.repeat(14)}] 40% 4/10 files, 4.0/10.0 MB, 2.0 MB/s, 0:03 left`;
    assert.ok(text.includes(`\r\x1b[K${bar}`), JSON.stringify(text));
    assert.ok(text.endsWith('\r\x1b[Kreposync: epel: done\n'));
  });
});

describe('a repo that was never synced', () => {
  async function siteWithRepos(t: TestContext) {
    const dataDir = tempDir(t);
    const files = sharedBootFiles();
    const run = async (...argv: string[]) => succeeded(await runCli(dataDir, ...argv));
    await run(...serveTestRootsCommand);
    await run(
      'distro',
      'add',
      '--name=d',
      `--kernel=${files.kernel}`,
      `--initrd=${files.initrd}`,
      '--breed=redhat',
      '--autoinstall-meta=tree=http://192.0.2.1/tree',
    );
    await run('repo', 'add', '--name=epel', '--mirror=http://192.0.2.1/epel/');
    await run('repo', 'add', '--name=upstream', '--mirror=http://192.0.2.1/up/', '--mirror-locally=false');
    await run('repo', 'add', '--name=rs', '--mirror=rsync://192.0.2.1/rs/', '--breed=rsync');
    await run('profile', 'add', '--name=with-epel', '--distro=d', '--repos=epel upstream');
    await run('profile', 'add', '--name=plain', '--distro=d', '--repos=upstream');
    return dataDir;
  }

  it('repo report says so, and how to fill it; a repo fetched from its origin says that', async (t) => {
    const dataDir = await siteWithRepos(t);
    const epel = await runCli(dataDir, 'repo', 'report', '--name=epel');
    assert.match(epel.stdout, /^Mirror Snapshot {16}: never synced \(bootwright reposync --name=epel\)$/m);
    const upstream = await runCli(dataDir, 'repo', 'report', '--name=upstream');
    assert.match(
      upstream.stdout,
      /^Mirror Snapshot {16}: none \(mirror_locally off: installers use the origin\)$/m,
    );
    const json = JSON.parse((await runCli(dataDir, 'repo', 'report', '--name=epel', '--format=json')).stdout);
    assert.deepEqual(json.mirror_status, {});
  });

  it('check names it with the reposync command as the fix, and an rsync repo set to be mirrored', async (t) => {
    const dataDir = await siteWithRepos(t);
    const checked = await runCli(dataDir, 'check');
    assert.notEqual(checked.code, 0);
    assert.match(
      checked.stdout,
      /\d+\. Repo "epel" is mirrored here \(mirror_locally on\) but was never synced, so installs that use it fail at its first file \(404 at \/cobbler\/repo_mirror\/epel\/\)\.\n {3}fix: bootwright reposync --name=epel /,
    );
    assert.match(
      checked.stdout,
      /Repo "rs" is a rsync repo with mirror_locally on, which bootwright cannot mirror/,
    );
    assert.doesNotMatch(checked.stdout, /Repo "upstream"/);
  });

  it('validate-autoinstalls fails each profile that uses it, and not the others', async (t) => {
    const dataDir = await siteWithRepos(t);
    const validated = await runCli(dataDir, 'validate-autoinstalls');
    assert.notEqual(validated.code, 0);
    assert.match(
      validated.stdout,
      /^FAILED {2}profile with-epel: Repo "epel" is mirrored here \(mirror_locally on\) but was never synced.* Fix: bootwright reposync --name=epel/m,
    );
    assert.match(validated.stdout, /^ok {6}profile plain /m);
    assert.match(validated.stderr, /1 of 2 autoinstall files have errors: profile "with-epel"/);
  });
});

describe("repo report's mirror lines", () => {
  it('show the snapshot, last sync, files, packages and size of a synced repo, and an unfinished sync', () => {
    const repo = { kind: 'repo', name: 'epel', uid: '', ctime: 0, mtime: 0, fields: {} } as const;
    const text = formatMirrorStatus(repo, {
      current: {
        snapshot: '20261207T220000Z',
        syncedAt: Date.UTC(2026, 11, 7, 22),
        files: 12,
        packages: 10,
        bytes: 3_200_000,
      },
      partial: { snapshot: '20261208T010000Z', startedAt: Date.UTC(2026, 11, 8, 1) },
    });
    assert.equal(
      text,
      [
        'Mirror Snapshot                : 20261207T220000Z',
        'Mirror Last Sync               : 2026-12-07T22:00:00.000Z',
        'Mirror Files                   : 12',
        'Mirror Packages                : 10',
        'Mirror Size On Disk            : 3200000 bytes (3.2 MB)',
        'Mirror Unfinished Sync         : 20261208T010000Z, started 2026-12-08T01:00:00.000Z (the next reposync resumes it)',
        '',
      ].join('\n'),
    );
  });
});
