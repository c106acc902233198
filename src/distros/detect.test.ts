import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BootwrightError } from '../errors.js';
import { type DetectOptions, detectDistro } from './detect.js';
import { loadSignatures } from './signatures.js';
import { openTreeSource } from './tree-source.js';

const kernel = 'MZ fake kernel\n';
const initrd = '\x1f\x8b fake initrd\n';

const rhel5 = {
  '.discinfo': '1272044302.784649\nRed Hat Enterprise Linux Server 5.5\ni386\n1,2,3,4,5,6\n',
  'isolinux/isolinux.cfg': 'default linux\n',
  'isolinux/vmlinuz': kernel,
  'isolinux/initrd.img': initrd,
  'images/pxeboot/vmlinuz': kernel,
  'images/pxeboot/initrd.img': initrd,
  'images/xen/vmlinuz': kernel,
  'images/xen/initrd.img': initrd,
};

const rhel9 = {
  '.treeinfo': [
    '[header]',
    'type = productmd.treeinfo',
    'version = 1.2',
    '',
    '[release]',
    'name = Red Hat Enterprise Linux',
    'short = RHEL',
    'version = 9.4',
    '',
    '[general]',
    'arch = x86_64',
    'family = Red Hat Enterprise Linux',
    'name = Red Hat Enterprise Linux 9.4',
    'platforms = x86_64,xen',
    'variant = BaseOS',
    'version = 9.4',
    '',
    '[images-x86_64]',
    'initrd = images/pxeboot/initrd.img',
    'kernel = images/pxeboot/vmlinuz',
    '',
  ].join('\n'),
  '.discinfo': '1712345678.123\nRed Hat Enterprise Linux 9.4\nx86_64\nALL\n',
  'images/pxeboot/vmlinuz': kernel,
  'images/pxeboot/initrd.img': initrd,
  'isolinux/vmlinuz': kernel,
  'isolinux/initrd.img': initrd,
};

const fedora40 = {
  '.treeinfo':
    '[header]\nversion = 1.2\n\n[general]\narch = x86_64\nfamily = Fedora\nname = Fedora 40\nversion = 40\n',
  'images/pxeboot/vmlinuz': kernel,
  'images/pxeboot/initrd.img': initrd,
};

const debian12Netinst = {
  '.disk/info': 'Debian GNU/Linux 12.5.0 "Bookworm" - Official amd64 NETINST with firmware 20240210-11:27',
  'dists/bookworm/Release': [
    'Origin: Debian',
    'Label: Debian',
    'Suite: stable',
    'Version: 12.5',
    'Codename: bookworm',
    'Architectures: amd64',
    'Components: main',
    '',
  ].join('\n'),
  'dists/stable': null,
  'install.amd/vmlinuz': kernel,
  'install.amd/initrd.gz': initrd,
  'install.amd/xen/vmlinuz': kernel,
  'install.amd/xen/initrd.gz': initrd,
};

const debian12Netboot = {
  'version.info': 'Debian version:  12 (bookworm)\nInstaller build: 20230607+deb12u5\n',
  'debian-installer/amd64/linux': kernel,
  'debian-installer/amd64/initrd.gz': initrd,
  'debian-installer/amd64/pxelinux.0': 'pxe',
};

const ubuntu2404 = {
  '.disk/info': 'Ubuntu-Server 24.04 LTS "Noble Numbat" - Release amd64 (20240423)',
  '.disk/casper-uuid-generic': 'c0ffee\n',
  'casper/vmlinuz': kernel,
  'casper/initrd': initrd,
  'casper/ubuntu-server-minimal.squashfs': 'squash',
  'dists/noble/Release': 'Origin: Ubuntu\nCodename: noble\nVersion: 24.04\nArchitectures: amd64\n',
};

const opensuseContent = {
  content: 'CONTENTSTYLE 11\nDISTRO cpe:/o:opensuse:leap:15.5,openSUSE Leap 15.5\nLABEL openSUSE Leap 15.5\n',
  'media.1/products': '/ openSUSE-Leap 15.5-1\n',
  'boot/x86_64/loader/linux': kernel,
  'boot/x86_64/loader/initrd': initrd,
};

const opensuseTreeinfo = {
  '.treeinfo':
    '[general]\narch = x86_64\nfamily = openSUSE Leap\nname = openSUSE Leap 15.6\nversion = 15.6\n',
  'boot/x86_64/loader/linux': kernel,
  'boot/x86_64/loader/initrd': initrd,
};

type Tree = Record<string, string | null>;

let scratch: string;

/** Writes a fixture tree; a null value makes an empty directory. */
async function makeTree(name: string, files: Tree): Promise<string> {
  const root = join(scratch, name);
  for (const [path, content] of Object.entries(files)) {
    if (content === null) {
      await mkdir(join(root, path), { recursive: true });
      continue;
    }
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

async function detectAt(location: string, options?: DetectOptions) {
  const source = await openTreeSource(location);
  try {
    return await detectDistro(source, options);
  } finally {
    await source.close();
  }
}

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bootwright-detect-'));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('detectDistro on fixture trees', () => {
  test('RHEL 5 (i386, .discinfo, Xen PV kernel)', async () => {
    const found = await detectAt(await makeTree('rhel5', rhel5));
    assert.equal(found.breed, 'redhat');
    assert.equal(found.osVersion, 'rhel5');
    assert.equal(found.arch, 'i386');
    assert.equal(found.kernel, 'images/pxeboot/vmlinuz');
    assert.equal(found.initrd, 'images/pxeboot/initrd.img');
    assert.equal(found.xenKernel, 'images/xen/vmlinuz');
    assert.equal(found.xenInitrd, 'images/xen/initrd.img');
    assert.equal(found.name, 'rhel-5.5-i386');
    assert.equal(found.signature.name, 'rhel-discinfo');
    assert.ok(found.signature.reasons.includes('family "Red Hat Enterprise Linux Server" in .discinfo'));
  });

  test('RHEL 5 with only isolinux/ boots from there', async () => {
    const { 'images/pxeboot/vmlinuz': _k, 'images/pxeboot/initrd.img': _i, ...isolinuxOnly } = rhel5;
    const found = await detectAt(await makeTree('rhel5-isolinux', isolinuxOnly));
    assert.equal(found.kernel, 'isolinux/vmlinuz');
    assert.equal(found.initrd, 'isolinux/initrd.img');
  });

  test('RHEL 9 (.treeinfo, x86_64): the [general] version, not the [header] one', async () => {
    const found = await detectAt(await makeTree('rhel9', rhel9));
    assert.deepEqual(
      { ...found, signature: found.signature.name },
      {
        breed: 'redhat',
        osVersion: 'rhel9',
        arch: 'x86_64',
        kernel: 'images/pxeboot/vmlinuz',
        initrd: 'images/pxeboot/initrd.img',
        name: 'rhel-9.4-x86_64',
        installer: 'anaconda',
        signature: 'rhel-treeinfo',
      },
    );
  });

  test('Fedora 40', async () => {
    const found = await detectAt(await makeTree('fedora40', fedora40));
    assert.equal(found.breed, 'redhat');
    assert.equal(found.osVersion, 'fedora40');
    assert.equal(found.arch, 'x86_64');
    assert.equal(found.name, 'fedora-40-x86_64');
    assert.equal(found.signature.name, 'fedora-treeinfo');
  });

  test('Debian 12 netinst (.disk/info, dists/bookworm/Release, install.amd/)', async () => {
    const found = await detectAt(await makeTree('debian12', debian12Netinst));
    assert.equal(found.breed, 'debian');
    assert.equal(found.osVersion, 'bookworm');
    assert.equal(found.arch, 'x86_64');
    assert.equal(found.kernel, 'install.amd/vmlinuz');
    assert.equal(found.initrd, 'install.amd/initrd.gz');
    assert.equal(found.xenKernel, 'install.amd/xen/vmlinuz');
    assert.equal(found.name, 'debian-12-x86_64');
    assert.equal(found.signature.name, 'debian-media');
    assert.ok(found.signature.reasons.includes('found dists/bookworm/Release'));
  });

  test('Debian 12 netboot layout (debian-installer/amd64/)', async () => {
    const found = await detectAt(await makeTree('debian12-netboot', debian12Netboot));
    assert.equal(found.breed, 'debian');
    assert.equal(found.osVersion, 'bookworm');
    assert.equal(found.arch, 'x86_64');
    assert.equal(found.kernel, 'debian-installer/amd64/linux');
    assert.equal(found.initrd, 'debian-installer/amd64/initrd.gz');
    assert.equal(found.name, 'debian-12-x86_64');
  });

  test('Ubuntu 24.04 live-server (casper/)', async () => {
    const found = await detectAt(await makeTree('ubuntu2404', ubuntu2404));
    assert.equal(found.breed, 'ubuntu');
    assert.equal(found.osVersion, 'noble');
    assert.equal(found.arch, 'x86_64');
    assert.equal(found.kernel, 'casper/vmlinuz');
    assert.equal(found.initrd, 'casper/initrd');
    assert.equal(found.installer, 'subiquity');
    assert.equal(found.name, 'ubuntu-24.04-x86_64');
  });

  test('openSUSE Leap 15.5 (content, boot/x86_64/loader/)', async () => {
    const found = await detectAt(await makeTree('leap155', opensuseContent));
    assert.equal(found.breed, 'suse');
    assert.equal(found.osVersion, 'opensuse15');
    assert.equal(found.arch, 'x86_64');
    assert.equal(found.kernel, 'boot/x86_64/loader/linux');
    assert.equal(found.initrd, 'boot/x86_64/loader/initrd');
    assert.equal(found.name, 'opensuse-15.5-x86_64');
    assert.equal(found.signature.name, 'suse-content');
  });

  test('openSUSE Leap 15.5 (media.1/products only)', async () => {
    const { content: _content, ...productsOnly } = opensuseContent;
    const found = await detectAt(await makeTree('leap-products', productsOnly));
    assert.equal(found.osVersion, 'opensuse15');
    assert.equal(found.name, 'opensuse-15.5-x86_64');
  });

  test('openSUSE Leap 15.6 (.treeinfo) is not taken for Red Hat', async () => {
    const found = await detectAt(await makeTree('leap156', opensuseTreeinfo));
    assert.equal(found.breed, 'suse');
    assert.equal(found.osVersion, 'opensuse15');
    assert.equal(found.signature.name, 'suse-treeinfo');
  });
});

describe('detectDistro on ISO images', () => {
  for (const [name, files, expected] of [
    ['debian12', debian12Netinst, { breed: 'debian', osVersion: 'bookworm', kernel: 'install.amd/vmlinuz' }],
    ['rhel9', rhel9, { breed: 'redhat', osVersion: 'rhel9', kernel: 'images/pxeboot/vmlinuz' }],
  ] as const) {
    test(`${name} built with xorriso, read in place`, async () => {
      const tree = await makeTree(`${name}-for-iso`, files);
      const iso = join(scratch, `${name}.iso`);
      execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-J', '-o', iso, tree], { stdio: 'ignore' });
      const found = await detectAt(iso);
      assert.equal(found.breed, expected.breed);
      assert.equal(found.osVersion, expected.osVersion);
      assert.equal(found.arch, 'x86_64');
      assert.equal(found.kernel, expected.kernel);
    });
  }
});

describe('options and failures', () => {
  test('an unknown tree names the location, what was looked for and the fix', async () => {
    const tree = await makeTree('unknown', { 'README.txt': 'hello', 'boot/vmlinuz': kernel });
    await assert.rejects(detectAt(tree), (error: unknown) => {
      assert.ok(error instanceof BootwrightError);
      assert.equal(error.code, 'E_INVALID');
      assert.match(error.message, new RegExp(`"${tree.replaceAll('/', '\\/')}"`));
      assert.match(error.message, /rhel-treeinfo: no \.treeinfo/);
      assert.match(error.message, /debian-netboot: no debian-installer\/\{arch\}\/linux/);
      assert.match(error.message, /--breed, --os-version and --arch/);
      assert.match(error.message, /<data dir>\/signatures\.json/);
      return true;
    });
  });

  test('a tree that looks right but has no kernel says where it looked', async () => {
    const tree = await makeTree('fedora-nokernel', { '.treeinfo': fedora40['.treeinfo'] });
    await assert.rejects(
      detectAt(tree),
      /fedora-treeinfo: no kernel and initrd for x86_64 at images\/pxeboot\/vmlinuz/,
    );
  });

  test('options override what the tree says', async () => {
    const found = await detectAt(await makeTree('rhel9-override', rhel9), {
      osVersion: 'rhel9-custom',
      breed: 'redhat',
    });
    assert.equal(found.osVersion, 'rhel9-custom');
    const forArch = await detectAt(join(scratch, 'rhel9-override'), { arch: 'amd64' });
    assert.equal(forArch.arch, 'x86_64');
  });

  test('an arch the tree has no kernel for is refused', async () => {
    await assert.rejects(
      detectAt(await makeTree('debian-arm', debian12Netinst), { arch: 'arm64' }),
      /aarch64/,
    );
    await assert.rejects(detectAt(join(scratch, 'debian-arm'), { arch: 'vax' }), /Unknown arch "vax"/);
  });

  test('an unknown tree imports when breed, os_version and arch are all given', async () => {
    const tree = await makeTree('bare-pxeboot', {
      'images/pxeboot/vmlinuz': kernel,
      'images/pxeboot/initrd.img': initrd,
    });
    const found = await detectAt(tree, { breed: 'redhat', osVersion: 'rhel8', arch: 'x86_64' });
    assert.equal(found.signature.name, 'manual');
    assert.equal(found.kernel, 'images/pxeboot/vmlinuz');
    assert.equal(found.name, 'rhel8-x86_64');
  });

  test('a user signature extends the table and is tried first', async () => {
    const userFile = join(scratch, 'data-dir', 'signatures.json');
    await mkdir(dirname(userFile), { recursive: true });
    await writeFile(
      userFile,
      JSON.stringify({
        archAliases: { x64: 'x86_64' },
        signatures: [
          {
            name: 'acme-linux',
            breed: 'generic',
            requires: ['ACME-RELEASE'],
            read: [{ file: 'ACME-RELEASE', patterns: ['^ACME Linux (?<version>\\S+) (?<arch>\\S+)'] }],
            osVersion: 'acme{version|major}',
            nameTemplate: 'acme-{version}-{arch}',
            boot: [{ kernel: 'boot/kernel', initrd: 'boot/initramfs' }],
          },
        ],
      }),
    );
    const signatures = await loadSignatures(userFile);
    assert.equal(signatures.signatures[0]?.name, 'acme-linux');
    assert.ok(signatures.signatures.some((s) => s.name === 'rhel-treeinfo'));
    const tree = await makeTree('acme', {
      'ACME-RELEASE': 'ACME Linux 3.1 x64\n',
      'boot/kernel': kernel,
      'boot/initramfs': initrd,
    });
    const found = await detectAt(tree, { signatures });
    assert.equal(found.breed, 'generic');
    assert.equal(found.osVersion, 'acme3');
    assert.equal(found.arch, 'x86_64');
    assert.equal(found.name, 'acme-3.1-x86_64');
    assert.equal(found.signature.origin, userFile);

    await assert.rejects(detectAt(await makeTree('unknown-2', { x: 'y' }), { signatures }), (error: Error) =>
      error.message.includes(userFile),
    );
  });

  test('a user signature with the name of a shipped one replaces it', async () => {
    const userFile = join(scratch, 'override', 'signatures.json');
    await mkdir(dirname(userFile), { recursive: true });
    await writeFile(
      userFile,
      JSON.stringify({
        signatures: [
          {
            name: 'fedora-treeinfo',
            breed: 'redhat',
            requires: ['.treeinfo'],
            // [general], since [header] has a version too.
            read: [
              { file: '.treeinfo', patterns: ['\\[general\\][^\\[]*^version\\s*=\\s*(?<version>\\S+)'] },
            ],
            when: { version: '^40$' },
            osVersion: 'fedora-custom{version}',
            nameTemplate: 'f{version}-{arch}',
            boot: [{ kernel: 'images/pxeboot/vmlinuz', initrd: 'images/pxeboot/initrd.img', arch: 'x86_64' }],
          },
        ],
      }),
    );
    const signatures = await loadSignatures(userFile);
    assert.equal(signatures.signatures.filter((s) => s.name === 'fedora-treeinfo').length, 1);
    const found = await detectAt(await makeTree('fedora-user', fedora40), { signatures });
    assert.equal(found.osVersion, 'fedora-custom40');
    assert.equal(found.name, 'f40-x86_64');
  });

  test('a missing user file is fine, a broken one is an error naming it', async () => {
    const table = await loadSignatures(join(scratch, 'nowhere', 'signatures.json'));
    assert.ok(table.signatures.length > 0);
    const broken = join(scratch, 'broken.json');
    await writeFile(broken, JSON.stringify({ signatures: [{ name: 'x', breed: 'beos' }] }));
    await assert.rejects(loadSignatures(broken), (error: BootwrightError) => {
      assert.equal(error.code, 'E_INVALID');
      assert.ok(error.message.includes(broken));
      assert.match(error.message, /signatures\.0\.breed/);
      return true;
    });
    await writeFile(
      broken,
      JSON.stringify({
        signatures: [
          {
            name: 'bad-regex',
            breed: 'generic',
            read: [{ file: 'x', patterns: ['(unclosed'] }],
            osVersion: 'x',
            nameTemplate: 'x',
            boot: [{ kernel: 'k', initrd: 'i' }],
          },
        ],
      }),
    );
    await assert.rejects(loadSignatures(broken), /Signature "bad-regex" .* bad pattern "\(unclosed"/);
  });
});

// Debian's own netboot tree, from the debian-installer-12-netboot-amd64 package (installed by scripts/setup.sh).
const realNetboot = '/usr/lib/debian-installer/images/12/amd64/text';

describe('the real Debian 12 netboot tree', () => {
  test('debian-installer-12-netboot-amd64 is detected as bookworm x86_64', async () => {
    assert.ok(
      existsSync(realNetboot),
      `${realNetboot} is missing: apt-get install -y debian-installer-12-netboot-amd64`,
    );
    const source = await openTreeSource(realNetboot);
    try {
      const found = await detectDistro(source);
      assert.equal(found.breed, 'debian');
      assert.equal(found.osVersion, 'bookworm');
      assert.equal(found.arch, 'x86_64');
      assert.equal(found.kernel, 'debian-installer/amd64/linux');
      assert.equal(found.initrd, 'debian-installer/amd64/initrd.gz');
      assert.equal(found.name, 'debian-12-x86_64');
      for (const path of [found.kernel, found.initrd]) {
        const entry = await source.stat(path);
        assert.equal(entry?.type, 'file');
        assert.ok((entry?.size ?? 0) > 1024 * 1024, `${path} should be a real kernel or initrd`);
      }
      // The kernel is a real bzImage: "HdrS" at 0x202 (Linux boot protocol header).
      const chunks: Buffer[] = [];
      for await (const chunk of source.read(found.kernel, 0x202, 0x205)) chunks.push(chunk);
      const header = Buffer.concat(chunks);
      assert.equal(header.toString('latin1'), 'HdrS');
    } finally {
      await source.close();
    }
  });

  test('the gtk variant of the same package is detected too', async () => {
    const found = await detectAt('/usr/lib/debian-installer/images/12/amd64/gtk');
    assert.equal(found.osVersion, 'bookworm');
    assert.equal(found.arch, 'x86_64');
  });
});
