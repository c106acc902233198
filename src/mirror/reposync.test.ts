import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import type { InventoryObject } from '../model/kinds.js';
import type { EventInput } from '../store/store.js';
import type { MirroredRepo, RepoMirrors, ReposyncOptions } from './contract.js';
import { maskCredentials, parseTries, reposync } from './reposync.js';

function repo(name: string, fields: Record<string, unknown> = {}): InventoryObject {
  return {
    kind: 'repo',
    name,
    uid: name,
    ctime: 0,
    mtime: 0,
    fields: {
      mirror: `http://192.0.2.1/${name}/`,
      breed: 'yum',
      keep_updated: true,
      mirror_locally: true,
      rpm_list: [],
      ...fields,
    } as InventoryObject['fields'],
  };
}

/** Mirrors that record what they were asked and fail the repos named in `failing`. */
function recordingMirrors(failing: string[] = [], mirrored: string[] = []) {
  const synced: { repo: MirroredRepo; options: ReposyncOptions | undefined }[] = [];
  const mirrors: RepoMirrors = {
    async sync(repo, options) {
      synced.push({ repo, options });
      options?.progress?.({ repo: repo.name, filesDone: 1, filesTotal: 1, bytesDone: 10, bytesTotal: 10 });
      if (failing.includes(repo.name))
        throw new BootwrightError('E_INVALID', `repodata/primary.xml.gz of ${repo.name}: checksum mismatch`);
      return {
        repo: repo.name,
        snapshot: 's1',
        files: 3,
        packages: 2,
        bytes: 3000,
        downloaded: 3000,
        seconds: 1.5,
      };
    },
    status: async (name) =>
      mirrored.includes(name)
        ? { current: { snapshot: 's0', syncedAt: 0, files: 1, packages: 1, bytes: 1 } }
        : {},
    currentDir: () => undefined,
    remove: async () => 0,
  };
  return { mirrors, synced };
}

async function run(repos: InventoryObject[], request: Parameters<typeof reposync>[1], mirrors: RepoMirrors) {
  const lines: string[] = [];
  const events: EventInput[] = [];
  const result = reposync(
    { repos: async () => repos, mirrors, events: { publish: (event) => events.push(event) } },
    request,
    { line: (text) => lines.push(text) },
  );
  return { result, lines, events };
}

describe('reposync picks repos as Cobbler 3.3 does', () => {
  it('syncs every repo kept updated, hands the engine the repo fields and tries, and puts each on the timeline', async () => {
    const { mirrors, synced } = recordingMirrors();
    const repos = [
      repo('epel', { arch: 'x86_64', rpm_list: ['bash', 'zsh'], proxy: 'http://192.0.2.9:3128' }),
      repo('frozen', { keep_updated: false }),
    ];
    const { result, lines, events } = await run(repos, { tries: 5 }, mirrors);
    const outcome = await result;
    assert.deepEqual(
      synced.map(({ repo }) => repo),
      [
        {
          name: 'epel',
          mirror: 'http://192.0.2.1/epel/',
          mirror_type: 'baseurl',
          breed: 'yum',
          arch: 'x86_64',
          rpm_list: ['bash', 'zsh'],
          apt_dists: [],
          apt_components: [],
          createrepo_flags: '',
          proxy: 'http://192.0.2.9:3128',
        },
      ],
    );
    assert.equal(synced[0]?.options?.tries, 5);
    assert.deepEqual(outcome.skipped, [
      { repo: 'frozen', reason: 'keep_updated is off (name it with --name to sync it anyway)' },
    ]);
    assert.ok(lines.includes('frozen: skipped, keep_updated is off (name it with --name to sync it anyway)'));
    assert.ok(
      lines.includes(
        'epel: synced in 1.5 s (3.0 kB downloaded); serving snapshot s1: 3 files, 2 packages, 3.0 kB',
      ),
    );
    assert.deepEqual(
      events.map((event) => event.type),
      ['reposync.start', 'reposync.done'],
    );
    assert.deepEqual(events[1]?.detail, {
      repo: 'epel',
      snapshot: 's1',
      files: 3,
      packages: 2,
      bytes: 3000,
      downloaded: 3000,
      seconds: 1.5,
    });
  });

  it('syncs a repo with keep_updated off when named, and a glob picks several', async () => {
    const { mirrors, synced } = recordingMirrors();
    const repos = [repo('epel-9'), repo('epel-8', { keep_updated: false }), repo('base')];
    await (await run(repos, { name: 'epel-*' }, mirrors)).result;
    assert.deepEqual(
      synced.map(({ repo }) => repo.name),
      ['epel-9', 'epel-8'],
    );
  });

  it('says why it leaves repos alone: mirror_locally off, rsync and rhn, already mirrored with --only-new', async () => {
    const { mirrors, synced } = recordingMirrors([], ['old']);
    const repos = [
      repo('remote', { mirror_locally: false }),
      repo('rs', { breed: 'rsync', mirror: 'rsync://192.0.2.1/x/' }),
      repo('channel', { breed: 'rhn', mirror: 'rhn://rhel-x86_64-server-9' }),
      repo('old'),
      repo('new'),
    ];
    const { result, lines } = await run(repos, { onlyNew: true }, mirrors);
    await result;
    assert.deepEqual(
      synced.map(({ repo }) => repo.name),
      ['new'],
    );
    const skipped = lines.filter((line) => line.includes('skipped'));
    assert.equal(skipped.length, 4);
    assert.match(skipped[0] as string, /^remote: skipped, mirror_locally is off/);
    assert.match(skipped[1] as string, /^rs: skipped, bootwright does not mirror rsync repos: .*--breed=yum/);
    assert.match(skipped[2] as string, /^channel: skipped, bootwright does not mirror rhn:\/\/ channels/);
    assert.match(skipped[3] as string, /^old: skipped, already mirrored \(--only-new\)/);
  });

  it('stops at the first failure without --no-fail, with the failure as its error and on the timeline', async () => {
    const { mirrors, synced } = recordingMirrors(['a']);
    const { result, events } = await run([repo('a'), repo('b')], {}, mirrors);
    await assert.rejects(result, /repodata\/primary\.xml\.gz of a: checksum mismatch/);
    assert.deepEqual(
      synced.map(({ repo }) => repo.name),
      ['a'],
    );
    assert.deepEqual(events.at(-1), {
      type: 'reposync.failed',
      detail: { repo: 'a', error: 'repodata/primary.xml.gz of a: checksum mismatch' },
    });
  });

  it('goes on past a failure with --no-fail, and still fails at the end naming the repo', async () => {
    const { mirrors, synced } = recordingMirrors(['a']);
    const { result, lines } = await run([repo('a'), repo('b')], { noFail: true }, mirrors);
    await assert.rejects(result, (error: BootwrightError) => {
      assert.equal(
        error.message,
        'reposync failed for repo "a" (the others are synced); the lines above say why.',
      );
      return true;
    });
    assert.deepEqual(
      synced.map(({ repo }) => repo.name),
      ['a', 'b'],
    );
    assert.ok(lines.includes('a: failed: repodata/primary.xml.gz of a: checksum mismatch'));
  });

  it('refuses a name that matches no repo, names unknown repos, and a bad --tries', async () => {
    const { mirrors } = recordingMirrors();
    await assert.rejects((await run([repo('a')], { name: 'epel' }, mirrors)).result, {
      message: 'No repo is named "epel"; "bootwright repo list" names the repos.',
    });
    await assert.rejects((await run([repo('a')], { names: ['a', 'zz'] }, mirrors)).result, {
      message: 'No repo is named "zz"; "bootwright repo list" names the repos.',
    });
    assert.throws(() => parseTries('zero'), {
      message: 'Tries "zero" is not a whole number from 1 to 100; give e.g. --tries=3.',
    });
    assert.throws(() => parseTries(0), /from 1 to 100/);
    assert.equal(parseTries('4'), 4);
  });

  it('shows no user or password of a mirror URL in its lines and events', async () => {
    const { mirrors } = recordingMirrors(['secret']);
    const { result, lines, events } = await run(
      [repo('secret', { mirror: 'https://alice:pa55@192.0.2.1/repo/' })],
      { noFail: true },
      mirrors,
    );
    await assert.rejects(result);
    assert.ok(lines.includes('secret: syncing from https://***@192.0.2.1/repo/'), lines.join('\n'));
    assert.doesNotMatch(JSON.stringify({ lines, events }), /pa55|alice/);
    assert.equal(
      maskCredentials('proxy http://u:p@192.0.2.9:3128 and ftp://x@y/'),
      'proxy http://***@192.0.2.9:3128 and ftp://***@y/',
    );
  });
});
