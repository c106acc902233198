import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { classify } from './classify.js';
import { renderEncYaml } from './enc-yaml.js';

describe('renderEncYaml', () => {
  it('writes classes, sorted parameters and the environment as puppet reads them', () => {
    const classification = classify('web1.example.org', [], {
      name: 'web1',
      via: 'dns_name',
      view: {
        mgmt_classes: ['base', 'role_web'],
        mgmt_parameters: { tree: 'http://x/t', a: '1' },
        status: 'testing',
      },
    });
    assert.equal(
      renderEncYaml(classification),
      'classes:\n  - base\n  - role_web\nparameters:\n  a: "1"\n  tree: http://x/t\nenvironment: testing\n',
    );
  });

  it('leaves out an unknown environment and writes empty classes and parameters explicitly', () => {
    assert.equal(renderEncYaml(classify('x.example.org', [])), 'classes: []\nparameters: {}\n');
  });

  it('quotes what YAML 1.1 (Ruby Psych, which puppet uses) would read as something else', () => {
    const text = renderEncYaml(
      classify('x.example.org', [
        {
          name: 'r',
          pattern: '*',
          priority: 1,
          classes: [],
          parameters: { answer: 'yes', port: '0123', switch: 'on', time: '1:20', kept: null },
          environment: '',
          merge: false,
        },
      ]),
    );
    assert.deepEqual(parse(text, { version: '1.1' }).parameters, {
      answer: 'yes',
      kept: null,
      port: '0123',
      switch: 'on',
      time: '1:20',
    });
  });
});
