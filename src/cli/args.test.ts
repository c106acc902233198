import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { type FlagSet, parseArgs, resolveFlag } from './args.js';
import { flagSetFor } from './commands.js';

const tool: FlagSet = {
  command: 'tool run',
  flags: [
    { key: 'mac_address', names: ['mac-address', 'mac'], takesValue: true },
    { key: 'ip_address', names: ['ip-address', 'ip'], takesValue: true },
    { key: 'ipv6_address', names: ['ipv6-address'], takesValue: true },
    { key: 'ipv6_prefix', names: ['ipv6-prefix'], takesValue: true },
    { key: 'name', names: ['name'], takesValue: true },
    { key: 'name_servers', names: ['name-servers'], takesValue: true },
    { key: 'in_place', names: ['in-place'], takesValue: false },
    { key: 'help', names: ['help'], takesValue: false },
  ],
};
const toolFlags = () => tool;

function usageError(text: string) {
  return (error: unknown) =>
    error instanceof BootwrightError && error.code === 'E_USAGE' && error.message.includes(text);
}

describe('resolveFlag', () => {
  it('prefers an exact spelling over longer flags it is a prefix of', () => {
    assert.equal(resolveFlag('name', tool).key, 'name');
    assert.equal(resolveFlag('mac', tool).key, 'mac_address');
    assert.equal(resolveFlag('ip', tool).key, 'ip_address');
  });

  it('accepts an unambiguous prefix, as optparse does', () => {
    assert.equal(resolveFlag('mac-a', tool).key, 'mac_address');
    assert.equal(resolveFlag('in', tool).key, 'in_place');
    assert.equal(resolveFlag('name-s', tool).key, 'name_servers');
  });

  it('accepts underscores for dashes', () => {
    assert.equal(resolveFlag('ip_address', tool).key, 'ip_address');
  });

  it('names the candidates of an ambiguous prefix', () => {
    assert.throws(
      () => resolveFlag('ipv6', tool),
      usageError('Option "--ipv6" of "tool run" is ambiguous: it may mean --ipv6-address, --ipv6-prefix;'),
    );
  });

  it('names an unknown flag and points to --help', () => {
    assert.throws(
      () => resolveFlag('bogus', tool),
      usageError('Unknown option "--bogus" for "tool run"; "tool run --help" lists the options.'),
    );
  });
});

describe('parseArgs', () => {
  it('reads words, --flag=value, --flag value and flags without value', () => {
    const parsed = parseArgs(
      ['system', 'add', '--name=vm9', '--mac', '52:54:00:00:00:01', '--in-place'],
      toolFlags,
    );
    assert.deepEqual(parsed.words, ['system', 'add']);
    assert.deepEqual(
      [...parsed.values],
      [
        ['name', 'vm9'],
        ['mac_address', '52:54:00:00:00:01'],
        ['in_place', true],
      ],
    );
  });

  it('keeps "=" inside values and empty values', () => {
    const parsed = parseArgs(['--name=a=b', '--mac-address='], toolFlags);
    assert.equal(parsed.values.get('name'), 'a=b');
    assert.equal(parsed.values.get('mac_address'), '');
  });

  it('takes the next argument as the value even if it starts with a dash', () => {
    assert.equal(parseArgs(['--name', '-x'], toolFlags).values.get('name'), '-x');
  });

  it('keeps the last value of a repeated flag', () => {
    assert.equal(parseArgs(['--name=a', '--name=b'], toolFlags).values.get('name'), 'b');
  });

  it('treats everything after -- as words', () => {
    assert.deepEqual(parseArgs(['a', '--', '--name=x'], toolFlags).words, ['a', '--name=x']);
  });

  it('reads -h as --help', () => {
    assert.equal(parseArgs(['-h'], toolFlags).values.get('help'), true);
  });

  it('refuses a missing value, a value for a flag without one, and single-dash options', () => {
    assert.throws(() => parseArgs(['--name'], toolFlags), usageError('Option "--name" needs a value'));
    assert.throws(
      () => parseArgs(['--in-place=yes'], toolFlags),
      usageError('takes no value, received "yes"'),
    );
    assert.throws(() => parseArgs(['-x'], toolFlags), usageError('Unknown option "-x" for "tool run"'));
  });

  it('skips unknown flags when lenient, to find the words for --help', () => {
    const parsed = parseArgs(['system', '--bogus', 'add', '--ipv6=1', '--help'], toolFlags, {
      lenient: true,
    });
    assert.deepEqual(parsed.words, ['system', 'add']);
    assert.equal(parsed.values.get('help'), true);
  });

  it('asks for the flags of the words read so far', () => {
    const seen: string[] = [];
    parseArgs(['--name=x', 'a', '--name=y', 'b'], (words) => {
      seen.push(words.join(' '));
      return tool;
    });
    assert.deepEqual(seen, ['', 'a', 'a b']);
  });

  it('stops at a pass-through word and says where', () => {
    const parsed = parseArgs(['--name=x', 'serve', '--port=1'], (words) => ({
      ...tool,
      passThrough: words[0] === 'serve',
    }));
    assert.deepEqual(parsed.words, ['serve']);
    assert.equal(parsed.passThroughAt, 1);
  });
});

describe('the bootwright command table', () => {
  it('parses the documented vm9 command', () => {
    const parsed = parseArgs(
      [
        'system',
        'add',
        '--name=vm9',
        '--profile=redhat-5.5-xen-i386',
        '--hostname=vm9',
        '--dns-name=vm9.example.org',
        '--ip-address=192.0.2.9',
        '--mac=random',
      ],
      flagSetFor,
    );
    assert.deepEqual(Object.fromEntries(parsed.values), {
      name: 'vm9',
      profile: 'redhat-5.5-xen-i386',
      hostname: 'vm9',
      dns_name: 'vm9.example.org',
      ip_address: '192.0.2.9',
      mac_address: 'random',
    });
  });

  it('knows the Cobbler aliases and prefixes', () => {
    const parsed = parseArgs(
      [
        'system',
        'edit',
        '--netboot=1',
        '--kopts=quiet',
        '--ksmeta=a=1',
        '--kickstart=x.ks',
        '--ip=192.0.2.1',
        '--in-pl',
      ],
      flagSetFor,
    );
    assert.deepEqual(Object.fromEntries(parsed.values), {
      netboot_enabled: '1',
      kernel_options: 'quiet',
      autoinstall_meta: 'a=1',
      autoinstall: 'x.ks',
      ip_address: '192.0.2.1',
      in_place: true,
    });
  });

  it('accepts global options anywhere on the line', () => {
    const parsed = parseArgs(
      ['--data-dir', '/d', 'distro', '--format=json', 'list', '--token=t'],
      flagSetFor,
    );
    assert.deepEqual(parsed.words, ['distro', 'list']);
    assert.deepEqual(Object.fromEntries(parsed.values), { data_dir: '/d', format: 'json', token: 't' });
  });

  it('reads --server as the remote server, except after a profile or system action where it is the field', () => {
    assert.equal(
      parseArgs(['--server=http://s', 'profile', 'list'], flagSetFor).values.get('remote_server'),
      'http://s',
    );
    assert.equal(
      parseArgs(['distro', 'add', '--server=http://s'], flagSetFor).values.get('remote_server'),
      'http://s',
    );
    const field = parseArgs(['profile', 'edit', '--server=192.0.2.1'], flagSetFor);
    assert.equal(field.values.get('server'), '192.0.2.1');
    assert.equal(field.values.has('remote_server'), false);
  });

  it('offers only the flags of the action', () => {
    assert.throws(
      () => parseArgs(['distro', 'list', '--kernel=/k'], flagSetFor),
      usageError('"bootwright distro list"'),
    );
    assert.throws(() => parseArgs(['distro', 'add', '--recursive'], flagSetFor), usageError('"--recursive"'));
    assert.throws(() => parseArgs(['distro', 'add', '--mac=x'], flagSetFor), usageError('"--mac"'));
  });

  it('leaves the line after "serve" to serve', () => {
    assert.equal(parseArgs(['--data-dir=/d', 'serve', '--port=8080'], flagSetFor).passThroughAt, 1);
  });
});
