import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { BootwrightError } from '../errors.js';
import {
  fileRootRoute,
  normaliseTftpPath,
  resolveTftpPath,
  type TftpFile,
  type TftpRoute,
} from './routes.js';

const client = { address: '127.0.0.1', port: 1234 };

async function contents(file: TftpFile | undefined): Promise<string> {
  assert.ok(file, 'expected a file');
  try {
    return ('data' in file ? file.data : await file.read(0, file.size)).toString();
  } finally {
    if ('close' in file) await file.close?.();
  }
}

const isForbidden = (error: unknown) => error instanceof BootwrightError && error.code === 'E_FORBIDDEN';

test('paths are normalised: leading slashes off, backslashes to slashes, runs of slashes collapsed', () => {
  const cases: [string, string][] = [
    ['/pxelinux.0', 'pxelinux.0'],
    ['//boot//grub\\\\x86_64-efi\\normal.mod', 'boot/grub/x86_64-efi/normal.mod'],
    ['\\EFI\\BOOT\\BOOTX64.EFI', 'EFI/BOOT/BOOTX64.EFI'],
    ['pxelinux.cfg/01-aa-bb-cc-dd-ee-ff', 'pxelinux.cfg/01-aa-bb-cc-dd-ee-ff'],
  ];
  for (const [raw, clean] of cases) assert.equal(normaliseTftpPath(raw), clean);
});

test('routes are tried in order, the first file wins, and each sees the normalised path', async () => {
  const seen: string[] = [];
  const route = (name: string, serves: string): TftpRoute => ({
    name,
    async resolve(path) {
      seen.push(`${name}:${path}`);
      return path === serves ? { size: name.length, data: Buffer.from(name) } : undefined;
    },
  });
  const routes = [route('generated', 'pxelinux.cfg/default'), route('first', 'a'), route('second', 'a')];
  const resolved = await resolveTftpPath(routes, '\\a', client);
  assert.equal(resolved?.route, 'first');
  assert.equal(await contents(resolved?.file), 'first');
  assert.deepEqual(seen, ['generated:a', 'first:a']);
  assert.equal(await resolveTftpPath(routes, 'missing', client), undefined);
});

test('fileRootRoute serves files under its root, read in ranges', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'images/fedora'), { recursive: true });
  writeFileSync(join(root, 'images/fedora/vmlinuz'), 'kernel bytes');
  const route = fileRootRoute(root);
  const file = await route.resolve('images/fedora/vmlinuz', client);
  assert.ok(file && 'read' in file);
  assert.equal(file.size, 12);
  assert.equal((await file.read(7, 5)).toString(), 'bytes');
  assert.equal((await file.read(10, 100)).toString(), 'es', 'a read past the end is short');
  await file.close?.();
  assert.equal(await route.resolve('images/fedora/missing', client), undefined);
  assert.equal(await route.resolve('images/fedora/vmlinuz/deeper', client), undefined);
  assert.equal(await route.resolve('images', client), undefined, 'a directory is not a file');
});

test('fileRootRoute with a prefix serves only paths under the prefix, with the prefix taken off', async (t) => {
  const root = tempDir(t);
  writeFileSync(join(root, 'grubx64.efi'), 'grub');
  const route = fileRootRoute(root, '/grub/');
  assert.equal(await contents(await route.resolve('grub/grubx64.efi', client)), 'grub');
  assert.equal(await route.resolve('grubx64.efi', client), undefined);
  assert.equal(await route.resolve('grubby/grubx64.efi', client), undefined);
});

test('fileRootRoute refuses "..", absolute paths, backslashes and NUL', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'ok'), 'ok');
  const route = fileRootRoute(root);
  for (const path of [
    '../etc/passwd',
    'sub/../../etc/passwd',
    'sub/../ok',
    '..',
    '/etc/passwd',
    'a\\..\\b',
    'ok\0',
  ]) {
    await assert.rejects(route.resolve(path, client), isForbidden, path);
  }
});

test('fileRootRoute follows symlinks inside the root and refuses those that lead out', async (t) => {
  const root = tempDir(t);
  const outside = tempDir(t);
  writeFileSync(join(outside, 'secret'), 'secret');
  mkdirSync(join(root, 'images'));
  writeFileSync(join(root, 'images/initrd.img'), 'initrd');
  symlinkSync('images/initrd.img', join(root, 'initrd-link'));
  symlinkSync(join(outside, 'secret'), join(root, 'secret-link'));
  symlinkSync(outside, join(root, 'outside-dir'));
  symlinkSync('/etc', join(root, 'etc'));
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  const route = fileRootRoute(root);
  assert.equal(await contents(await route.resolve('initrd-link', client)), 'initrd');
  for (const path of ['secret-link', 'outside-dir/secret', 'etc/passwd', 'loop-a']) {
    await assert.rejects(route.resolve(path, client), isForbidden, path);
  }
});

test('fileRootRoute works when the root itself is reached through a symlink', async (t) => {
  const real = tempDir(t);
  writeFileSync(join(real, 'f'), 'through a link');
  const link = join(tempDir(t), 'root-link');
  symlinkSync(real, link);
  assert.equal(await contents(await fileRootRoute(link).resolve('f', client)), 'through a link');
});

test('fileRootRoute does not hang on a FIFO and does not serve it', async (t) => {
  const root = tempDir(t);
  execFileSync('mkfifo', [join(root, 'fifo')]);
  assert.equal(await fileRootRoute(root).resolve('fifo', client), undefined);
});
