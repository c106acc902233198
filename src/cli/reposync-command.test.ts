import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../test/support/cli.js';
import { tempDir } from '../../test/support/temp-dir.js';
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
    assert.match(text, /\r\x1b\[Kepel \[#{10} {14}\] 40% 4\/10 files, 4\.0\/10\.0 MB, 2\.0 MB\/s, 0:03 left/);
    assert.ok(text.endsWith('\r\x1b[Kreposync: epel: done\n'));
  });
});
