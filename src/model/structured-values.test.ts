// A JSON or XML-RPC body can give any field an object or a list where one value belongs. Each is refused with a
// sentence, never turned into text by String(), which throws a TypeError (a 500) on {"toString": ""}: the long
// fuzzing run of the REST API found PUT /api/v1/settings/server {"value": {"toString": ""}} answering 500.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { fieldsByKind, interfaceFields } from './fields.js';
import { parseFieldValue } from './parse-field.js';
import { settingFields } from './settings.js';

const hostile: unknown[] = [
  { toString: '' },
  { valueOf: 1, toString: 2 },
  [{ toString: '' }],
  { a: { toString: '' } },
];

describe('objects where one value belongs', () => {
  it('are refused with a sentence by every field of every kind, interface and setting', () => {
    const fields = [...Object.values(fieldsByKind).flat(), ...interfaceFields, ...settingFields];
    for (const field of fields) {
      for (const value of hostile) {
        try {
          parseFieldValue(field, value);
        } catch (error) {
          assert.ok(
            error instanceof BootwrightError && error.code === 'E_INVALID',
            `${field.name} (${field.type}) ${JSON.stringify(value)}: ${String(error)}`,
          );
          assert.match(error.message, /\.$/, `${field.name}: one sentence`);
        }
      }
    }
  });

  it('names the value it refuses', () => {
    const server = settingFields.find((field) => field.name === 'server');
    assert.ok(server);
    assert.throws(
      () => parseFieldValue(server, { toString: '' }),
      /Setting server must be one value, received "\{\\"toString\\":\\"\\"\}"\.|server.*must be one value/,
    );
  });
});
