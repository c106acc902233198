import assert from 'node:assert/strict';
import { linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { apiFixture } from '../../test/support/api-fixture.js';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { runCli } from '../../test/support/cli.js';
import { serveTestRoots } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { openServices } from '../services.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

function write(dir: string, path: string, text: string) {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

async function setup(t: TestContext) {
  const dataDir = tempDir(t);
  const { inventory, renderer, close } = await openServices({ dataDir, triggers: false });
  t.after(close);
  await serveTestRoots(inventory);
  await inventory.setSetting('server', '192.0.2.1');
  await inventory.add('distro', {
    name: 'rhel9',
    kernel: bootFiles.kernel,
    initrd: bootFiles.initrd,
    os_version: 'rhel9',
    autoinstall_meta: 'tree=http://@@http_server@@/cblr/links/rhel9',
  });
  await inventory.add('profile', { name: 'web', distro: 'rhel9', autoinstall: 'site.ks' });
  await inventory.add('system', {
    name: 'vm9',
    profile: 'web',
    hostname: 'vm9',
    mac_address: '52:54:00:00:00:09',
    ip_address: '192.0.2.9',
  });
  write(
    dataDir,
    'templates/site.ks',
    'url --url=$tree\nnetwork --hostname=$getVar("hostname", "none")\n$SNIPPET("site_disk")\n',
  );
  write(dataDir, 'snippets/site_disk', 'autopart # generic\n');
  write(dataDir, 'snippets/per_system/site_disk/vm9', 'autopart # just for vm9\n');
  return { dataDir, inventory, renderer };
}

// A snippet's own last newline and the one after the $SNIPPET call both stay, as in Cheetah; Jinja drops the last
// newline of every file it reads (keep_trailing_newline is off in Cobbler's environment), snippets included.
describe('rendering autoinstall files', () => {
  it('uses the per-system snippet before the generic one, and the tree from autoinstall_meta', async (t) => {
    const { renderer } = await setup(t);
    const forSystem = await renderer.autoinstall({ kind: 'system', name: 'vm9' });
    assert.equal(
      forSystem.text,
      'url --url=http://192.0.2.1/cblr/links/rhel9\nnetwork --hostname=vm9\nautopart # just for vm9\n\n',
    );
    const forProfile = await renderer.autoinstall({ kind: 'profile', name: 'web' });
    assert.match(forProfile.text, /autopart # generic/);
  });

  it('names a missing snippet and where it looked', async (t) => {
    const { dataDir, renderer } = await setup(t);
    write(dataDir, 'templates/site.ks', 'text\n$SNIPPET("base_install")\n');
    await assert.rejects(renderer.autoinstall({ kind: 'system', name: 'vm9' }), {
      code: 'E_TEMPLATE',
      message:
        /^System "vm9": snippet "base_install" not found at site\.ks:2:1 \(looked in per_system\/base_install\/vm9, per_profile\/base_install\/web, per_distro\/base_install\/rhel9, base_install/,
    });
  });

  it('renders Jinja templates marked on their first line, with includes from the snippets', async (t) => {
    const { dataDir, renderer } = await setup(t);
    write(
      dataDir,
      'templates/site.ks',
      '#template=jinja2\nurl --url={{ tree }}\n{% include "site_disk" %}\n{% for name, iface in interfaces | dictsort %}mac {{ iface.mac_address }}\n{% endfor %}',
    );
    const rendered = await renderer.autoinstall({ kind: 'system', name: 'vm9' });
    assert.equal(
      rendered.text,
      'url --url=http://192.0.2.1/cblr/links/rhel9\nautopart # just for vm9\nmac 52:54:00:00:00:09\n',
    );
  });

  it('reads the first line as Cobbler does: any case, white space around, and refuses a language it does not know', async (t) => {
    const { dataDir, renderer } = await setup(t);
    write(dataDir, 'templates/site.ks', '#template=Jinja2 \r\nhost {{ hostname }}\n');
    assert.equal((await renderer.autoinstall({ kind: 'system', name: 'vm9' })).text, 'host vm9');
    write(dataDir, 'templates/site.ks', '#template=mako\nhost ${hostname}\n');
    await nextTurn();
    await assert.rejects(renderer.autoinstall({ kind: 'system', name: 'vm9' }), {
      code: 'E_TEMPLATE',
      message:
        'System "vm9": site.ks:1: the first line names the template language "mako"; use "#template=jinja2" or "#template=cheetah".',
    });
  });

  it('writes an undefined Jinja variable as nothing and reports it, and fails on it in strict mode', async (t) => {
    const { dataDir, renderer } = await setup(t);
    write(
      dataDir,
      'templates/site.ks',
      '#template=jinja2\nrootpw {{ no_such_thing }}\n{{ hostname | default("x") }}\n',
    );
    const lenient = await renderer.autoinstall({ kind: 'system', name: 'vm9' });
    assert.equal(lenient.text, 'rootpw \nvm9');
    assert.deepEqual(
      lenient.problems.map((problem) => [problem.file, problem.line, problem.message]),
      [['site.ks', 2, `'no_such_thing' is undefined; written as ""`]],
    );
    await assert.rejects(renderer.autoinstall({ kind: 'system', name: 'vm9' }, { strict: true }), {
      code: 'E_TEMPLATE',
      message: `System "vm9": site.ks:2: 'no_such_thing' is undefined.`,
    });
  });

  it('leaves unknown variables as written, reports them, and fails on them in strict mode', async (t) => {
    const { dataDir, renderer } = await setup(t);
    write(dataDir, 'templates/site.ks', 'rootpw $no_such_thing\n');
    const lenient = await renderer.autoinstall({ kind: 'system', name: 'vm9' });
    assert.equal(lenient.text, 'rootpw $no_such_thing\n');
    assert.equal(lenient.problems[0]?.line, 1);
    await assert.rejects(renderer.autoinstall({ kind: 'system', name: 'vm9' }, { strict: true }), {
      code: 'E_TEMPLATE',
      message: /no_such_thing/,
    });
  });
});

describe('rendering from the store as it is now', () => {
  it('sees an edited system, profile, distro and setting on the very next render', async (t) => {
    const { dataDir, inventory, renderer } = await setup(t);
    write(dataDir, 'templates/site.ks', '$hostname $tree $kernel_options $name_servers $server\n');
    await inventory.add('system', { name: 'vm10', profile: 'web', hostname: 'vm10' });
    const render = async (name: string) => (await renderer.autoinstall({ kind: 'system', name })).text;
    assert.equal(await render('vm9'), 'vm9 http://192.0.2.1/cblr/links/rhel9  [] 192.0.2.1\n');

    await inventory.edit('system', 'vm9', { hostname: 'vm9b', name_servers: '192.0.2.53' });
    assert.equal(await render('vm9'), "vm9b http://192.0.2.1/cblr/links/rhel9  ['192.0.2.53'] 192.0.2.1\n");
    await inventory.edit('profile', 'web', { kernel_options: 'quiet' });
    assert.equal(
      await render('vm9'),
      "vm9b http://192.0.2.1/cblr/links/rhel9 quiet ['192.0.2.53'] 192.0.2.1\n",
    );
    await inventory.edit('distro', 'rhel9', { autoinstall_meta: 'tree=http://mirror.example/rhel9' });
    assert.equal(await render('vm9'), "vm9b http://mirror.example/rhel9 quiet ['192.0.2.53'] 192.0.2.1\n");
    await inventory.setSetting('server', '192.0.2.2');
    assert.equal(await render('vm9'), "vm9b http://mirror.example/rhel9 quiet ['192.0.2.53'] 192.0.2.2\n");
    // Another system of the same profile shares nothing that vm9 changed.
    assert.equal(await render('vm10'), 'vm10 http://mirror.example/rhel9 quiet [] 192.0.2.2\n');
  });

  it('sees an edited template and an edited snippet on the very next render', async (t) => {
    const { dataDir, renderer } = await setup(t);
    // An edit by an editor or another process and the installer's request are always at least a turn of the event
    // loop apart (the request has to be read from its socket), and files found unchanged are trusted for the turn.
    const render = async () => {
      await nextTurn();
      return (await renderer.autoinstall({ kind: 'system', name: 'vm9' })).text;
    };
    write(dataDir, 'templates/site.ks', 'first $SNIPPET("site_disk")');
    write(dataDir, 'snippets/per_system/site_disk/vm9', 'disk one');
    assert.equal(await render(), 'first disk one');
    // Same sizes: only the content (and the file's times) tell the edits apart.
    write(dataDir, 'templates/site.ks', 'again $SNIPPET("site_disk")');
    assert.equal(await render(), 'again disk one');
    write(dataDir, 'snippets/per_system/site_disk/vm9', 'disk two');
    assert.equal(await render(), 'again disk two');
    // Replaced the way editors and write_autoinstall_snippet do it: a new file renamed over the old one.
    const snippet = join(dataDir, 'snippets/per_system/site_disk/vm9');
    writeFileSync(`${snippet}.new`, 'disk six');
    renameSync(`${snippet}.new`, snippet);
    assert.equal(await render(), 'again disk six');
    // A file with a second name: renaming over one of them leaves the old file in place under the other.
    linkSync(snippet, `${snippet}.backup`);
    writeFileSync(`${snippet}.new`, 'disk ten');
    renameSync(`${snippet}.new`, snippet);
    assert.equal(await render(), 'again disk ten');
    rmSync(join(dataDir, 'templates/site.ks'));
    await assert.rejects(render(), /Template "site.ks" not found/);
  });

  it('gives each render its own lists and dictionaries, which a template may change', async (t) => {
    const { dataDir, renderer } = await setup(t);
    // default_ownership comes from the settings, below the distro: the part that systems of a profile share.
    write(dataDir, 'templates/site.ks', '#silent $default_ownership.append("ops")\n$default_ownership\n');
    for (let i = 0; i < 2; i++) {
      const rendered = await renderer.autoinstall({ kind: 'system', name: 'vm9' });
      assert.equal(rendered.text, "['admin', 'ops']\n");
    }
    // ks_meta is autoinstall_meta under its Cobbler 2.x name: one dictionary, changed under either name.
    write(
      dataDir,
      'templates/site.ks',
      '#silent $ks_meta.update({"added": "yes"})\n$autoinstall_meta["added"]\n',
    );
    await nextTurn();
    for (let i = 0; i < 2; i++) {
      const rendered = await renderer.autoinstall({ kind: 'system', name: 'vm9' });
      assert.equal(rendered.text, 'yes\n');
    }
  });
});

describe('autoinstall files over HTTP', () => {
  it("serves kickstarts at the Cobbler paths, with Cobbler's 404 and error bodies", async (t) => {
    const fixture = await apiFixture(t);
    const { inventory } = fixture.services;
    await inventory.add('distro', {
      name: 'rhel9',
      kernel: bootFiles.kernel,
      initrd: bootFiles.initrd,
      os_version: 'rhel9',
      autoinstall_meta: 'tree=http://192.0.2.1/t',
    });
    await inventory.add('profile', { name: 'web', distro: 'rhel9' });
    await inventory.add('system', { name: 'vm9', profile: 'web' });
    const ks = await fixture.app.request('/cblr/svc/op/autoinstall/system/vm9');
    assert.equal(ks.status, 200);
    const text = await ks.text();
    assert.match(text, /^url --url=http:\/\/192\.0\.2\.1\/t/m);
    assert.equal(await (await fixture.app.request('/cblr/svc/op/ks/system/vm9')).text(), text);
    assert.equal(await (await fixture.app.request('/api/v1/systems/vm9/autoinstall')).text(), text);
    const missing = await fixture.app.request('/cblr/svc/op/autoinstall/system/nope');
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), '# system not found\n');
    write(fixture.dataDir, 'templates/broken.ks', '$SNIPPET("nowhere")\n');
    await inventory.edit('profile', 'web', { autoinstall: 'broken.ks' });
    const broken = await fixture.app.request('/cblr/svc/op/autoinstall/profile/web');
    assert.equal(broken.status, 500);
    assert.match(await broken.text(), /^# \*\*\* ERROR \*\*\*\n# Profile "web": snippet "nowhere" not found/);
    assert.equal(await (await fixture.app.request('/cblr/svc/op/list/what/systems')).text(), 'vm9\n');
  });

  it('autodetects the system from the MAC header anaconda sends', async (t) => {
    const fixture = await apiFixture(t);
    const { inventory } = fixture.services;
    await inventory.add('distro', { name: 'd', kernel: bootFiles.kernel, initrd: bootFiles.initrd });
    await inventory.add('profile', { name: 'p', distro: 'd' });
    await inventory.add('system', { name: 'vm9', profile: 'p', mac_address: '52:54:00:00:00:09' });
    const found = await fixture.app.request('/cblr/svc/op/autodetect', {
      headers: { 'X-RHN-Provisioning-MAC-0': 'eth0 52:54:00:00:00:09' },
    });
    assert.equal(await found.text(), 'vm9');
    assert.equal(await (await fixture.app.request('/cblr/svc/op/autodetect')).text(), 'FAILED: no match\n');
  });
});

describe('template commands', () => {
  it('get-autoinstall prints the file; validate-autoinstalls fails naming the missing snippet', async (t) => {
    const { dataDir } = await setup(t);
    const got = await runCli(dataDir, 'system', 'get-autoinstall', '--name=vm9');
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /autopart # just for vm9/);
    assert.equal((await runCli(dataDir, 'validate-autoinstalls')).code, 0);
    write(dataDir, 'templates/site.ks', 'text\n$SNIPPET("base_install")\n');
    const validated = await runCli(dataDir, 'validate-autoinstalls');
    assert.notEqual(validated.code, 0);
    assert.match(validated.stdout, /FAILED {2}profile web: .*snippet "base_install" not found/);
    assert.match(validated.stdout, /FAILED {2}system vm9: .*snippet "base_install" not found/);
    assert.equal(validated.stderr.split('\n').filter(Boolean).length, 1);
  });

  it('validate-autoinstalls tells how to give a hand-added distro with no tree the $tree its kickstart needs', async (t) => {
    const { dataDir, inventory } = await setup(t);
    // Added by hand, as Cobbler users do: kernel and initrd only, so $tree stays as written (Cobbler's ListErrors).
    await inventory.edit('distro', 'rhel9', { autoinstall_meta: {} });
    const validated = await runCli(dataDir, 'validate-autoinstalls');
    assert.notEqual(validated.code, 0);
    assert.match(
      validated.stdout,
      /FAILED {2}profile web: site\.ks:1:\d+: "\$tree" was left as written: .*distro "rhel9" has no install tree: give it one with `bootwright distro edit --name=rhel9 --tree-source=ISO_OR_DIRECTORY`/,
    );
  });

  it("lists, shows and edits templates, the user's copy replacing the built-in", async (t) => {
    const { dataDir } = await setup(t);
    const listed = await runCli(dataDir, 'template', 'list');
    assert.match(listed.stdout, /^default\.ks +built-in$/m);
    assert.match(listed.stdout, /^site\.ks +yours$/m);
    const source = join(tempDir(t), 'mine.ks');
    writeFileSync(source, '## mine\ntext\n');
    assert.equal(
      (await runCli(dataDir, 'template', 'edit', '--name=default.ks', `--file=${source}`)).code,
      0,
    );
    assert.equal((await runCli(dataDir, 'template', 'show', '--name=default.ks')).stdout, '## mine\ntext\n');
    assert.match(
      (await runCli(dataDir, 'template', 'list')).stdout,
      /^default\.ks +yours, replaces the built-in$/m,
    );
    assert.equal((await runCli(dataDir, 'template', 'remove', '--name=default.ks')).code, 0);
    assert.match((await runCli(dataDir, 'template', 'show', '--name=default.ks')).stdout, /^## /);
    const outside = await runCli(dataDir, 'template', 'show', '--name=../../etc/passwd');
    assert.notEqual(outside.code, 0);
    assert.match((await runCli(dataDir, 'snippet', 'list')).stdout, /^autoinstall_start +built-in$/m);
  });
});
