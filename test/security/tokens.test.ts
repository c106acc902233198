// A token lasts no longer than its user's rights (issue 16): `bootwright user remove` ends every token of that
// user at its next use, and a demotion to readonly leaves the old token only reads. Driven as an operator would:
// the real server over HTTP on loopback, and the real CLI editing the users file in the same data directory.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sharedBootFiles } from '../support/boot-files.js';
import { runCli } from '../support/cli.js';
import { logIn, servedWithToken } from '../support/served.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

describe('tokens follow the users file', () => {
  it('refuses the token of a removed user (401) and lets a demoted user only read (403 on delete)', async (t) => {
    const { base, dataDir, token: direct } = await servedWithToken(t);
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, text: await response.text() };
    };
    const cli = async (...argv: string[]) => {
      const result = await runCli(dataDir, ...argv);
      assert.equal(result.code, 0, result.stderr);
    };
    const distro = (name: string) => ({ name, kernel: bootFiles.kernel, initrd: bootFiles.initrd });

    await cli('user', 'add', '--name=alice', '--password=alice-pw');
    await cli('user', 'add', '--name=bob', '--password=bob-pw');
    const alice = await logIn(base, 'alice-pw', 'alice');
    const bob = await logIn(base, 'bob-pw', 'bob');
    assert.equal((await call('POST', '/distros', alice, distro('by-alice'))).status, 201);
    assert.equal((await call('POST', '/distros', bob, distro('by-bob'))).status, 201);

    await cli('user', 'remove', '--name=alice');
    const afterRemove = await call('POST', '/distros', alice, distro('late'));
    assert.equal(afterRemove.status, 401, afterRemove.text);
    assert.match(
      JSON.parse(afterRemove.text).error.message,
      /^User "alice" of this login token has been removed/,
    );
    assert.equal((await call('GET', '/distros/late', direct)).status, 404);

    await cli('user', 'add', '--name=bob', '--password=bob-pw', '--role=readonly');
    const afterDemotion = await call('DELETE', '/distros/by-alice', bob);
    assert.equal(afterDemotion.status, 403, afterDemotion.text);
    assert.equal((await call('GET', '/distros/by-alice', direct)).status, 200);
    const read = await call('GET', '/distros/by-bob', bob);
    assert.equal(read.status, 200, read.text);

    // The shared-secret user has no line in the users file and keeps working.
    assert.equal((await call('DELETE', '/distros/by-alice', direct)).status, 200);
  });
});
