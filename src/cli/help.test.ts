import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldsByKind, interfaceFields } from '../model/fields.js';
import { objectKinds } from '../model/kinds.js';
import { commands, findCommand } from './commands.js';
import { commandHelp, generalHelp, helpFor, topicHelp } from './help.js';

describe('help', () => {
  it('names every command, the object kinds and the global options', () => {
    const text = generalHelp();
    for (const word of [...objectKinds, 'serve', 'setting', 'user', 'version']) {
      assert.match(text, new RegExp(`^  ${word} `, 'm'), word);
    }
    for (const flag of ['--data-dir=DIR', '--server=URL', '--token=TOKEN', '--format=FORMAT', '--help']) {
      assert.ok(text.includes(flag), flag);
    }
  });

  it('lists the actions of a kind', () => {
    const text = topicHelp('profile');
    for (const action of ['add', 'copy', 'edit', 'find', 'list', 'remove', 'rename', 'report', 'dumpvars']) {
      assert.match(text, new RegExp(`^  ${action} `, 'm'), action);
    }
    assert.doesNotMatch(topicHelp('distro'), /dumpvars/);
  });

  it('lists every field of the kind as a flag with the help of its field table', () => {
    for (const kind of objectKinds) {
      const text = helpFor([kind, 'add']);
      for (const field of fieldsByKind[kind]) {
        const flag = field.name === 'name' ? '--name=' : `--${field.name.replaceAll('_', '-')}=`;
        assert.ok(text.includes(flag), `${kind} ${flag}`);
        if (field.name !== 'name')
          assert.ok(text.includes(field.help.split(' ').slice(0, 3).join(' ')), field.help);
      }
    }
    const system = helpFor(['system', 'add']);
    for (const field of interfaceFields) assert.ok(system.includes(`--${field.name.replaceAll('_', '-')}=`));
    assert.ok(system.includes('--mac-address=MAC, --mac=MAC'));
    assert.ok(system.includes('--netboot-enabled=BOOL, --netboot=BOOL'));
  });

  it('keeps help lines within 110 columns', () => {
    const screens = [
      generalHelp(),
      ...['setting', 'user', ...objectKinds].map(topicHelp),
      ...commands.map(commandHelp),
    ];
    for (const line of screens.join('\n').split('\n')) assert.ok(line.length <= 110, line);
  });

  it('explains where --server means the field', () => {
    assert.match(helpFor(['profile', 'edit']), /Here --server is the profile field/);
    assert.doesNotMatch(helpFor(['distro', 'edit']), /Here --server/);
  });

  it('goes as deep as the words go', () => {
    assert.equal(helpFor([]), generalHelp());
    assert.equal(helpFor(['nonsense']), generalHelp());
    assert.equal(helpFor(['setting']), topicHelp('setting'));
    assert.equal(helpFor(['setting', 'nonsense']), topicHelp('setting'));
    assert.equal(helpFor(['version']), commandHelp(findCommand(['version']) ?? assert.fail()));
    assert.ok(helpFor(['setting', 'edit']).includes('--value=VALUE'));
  });
});
