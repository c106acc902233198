import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, type NodeSystem, type RoleRule } from './classify.js';

function rule(name: string, pattern: string, extra: Partial<RoleRule> = {}): RoleRule {
  return {
    name,
    pattern,
    priority: 100,
    classes: [],
    parameters: {},
    environment: '',
    merge: false,
    ...extra,
  };
}

function system(view: Record<string, unknown>): NodeSystem {
  return { name: 'web1', via: 'dns_name', view };
}

describe('classify', () => {
  it('matches globs on the whole name, ignoring case', () => {
    const rules = [rule('web', 'web*.example.org', { classes: ['role_web'] })];
    assert.deepEqual(classify('web1.example.org', rules).classes, ['role_web']);
    assert.deepEqual(classify('WEB7.Example.ORG', rules).classes, ['role_web']);
    assert.deepEqual(classify('web1.example.org.evil.net', rules).classes, []);
    assert.deepEqual(classify('db1.example.org', rules).classes, []);
    assert.deepEqual(classify('web1.example.org', [rule('one', 'web?.example.org')]).matched.length, 1);
    assert.deepEqual(classify('web12.example.org', [rule('one', 'web?.example.org')]).matched.length, 0);
  });

  it('matches regular expressions as written, with the i flag for case', () => {
    const rules = [rule('web', '/^web\\d+\\./', { classes: ['role_web'] })];
    assert.deepEqual(classify('web12.example.org', rules).classes, ['role_web']);
    assert.deepEqual(classify('webmail.example.org', rules).classes, []);
    assert.deepEqual(classify('WEB12.example.org', rules).classes, []);
    const ignoringCase = [rule('web', '/^web\\d+\\./i', { classes: ['role_web'] })];
    assert.deepEqual(classify('WEB12.example.org', ignoringCase).classes, ['role_web']);
  });

  it('tries rules by priority, lower first, equal priorities by name, and the first match wins', () => {
    const rules = [
      rule('zz-catchall', '*', { priority: 900, classes: ['base'] }),
      rule('b-web', 'web*', { priority: 50, classes: ['role_b'] }),
      rule('a-web', 'web*', { priority: 50, classes: ['role_a'] }),
      rule('web-special', 'web1.*', { priority: 10, classes: ['special'] }),
    ];
    const web1 = classify('web1.example.org', rules);
    assert.deepEqual(web1.classes, ['special']);
    assert.deepEqual(
      web1.rules.map((verdict) => [verdict.rule, verdict.outcome]),
      [
        ['web-special', 'matched'],
        ['a-web', 'not-tried'],
        ['b-web', 'not-tried'],
        ['zz-catchall', 'not-tried'],
      ],
    );
    assert.match(web1.rules[1]?.why ?? '', /rule "web-special" matched first and does not merge/);
    assert.deepEqual(classify('web2.example.org', rules).classes, ['role_a']);
    assert.deepEqual(classify('mail.example.org', rules).classes, ['base']);
  });

  it('keeps matching after a merge rule; the earlier match keeps a parameter both set', () => {
    const rules = [
      rule('base', '*', {
        priority: 10,
        merge: true,
        classes: ['base', 'ntp'],
        parameters: { tier: 'any', ntp: 'pool' },
      }),
      rule('web', '/^web/', {
        priority: 20,
        classes: ['nginx', 'base'],
        parameters: { tier: 'web', port: 8080 },
      }),
      rule('late', '*', { priority: 30, classes: ['never'] }),
    ];
    const result = classify('web1.example.org', rules);
    assert.deepEqual(result.classes, ['base', 'ntp', 'nginx']);
    assert.deepEqual(result.parameters, { tier: 'any', ntp: 'pool', port: 8080 });
    assert.deepEqual(
      result.matched.map((verdict) => verdict.rule),
      ['base', 'web'],
    );
    assert.match(result.matched[0]?.why ?? '', /^glob "\*" matches; merge/);
    assert.match(
      result.matched[1]?.why ?? '',
      /^regular expression \/\^web\/ matches; first match without merge/,
    );
    assert.equal(result.rules[2]?.outcome, 'not-tried');
  });

  it("adds rule classes to the system's blended mgmt_classes, and the system's parameters win", () => {
    const rules = [
      rule('web', 'web*', { classes: ['role_web', 'base'], parameters: { tier: 'web', port: 80 } }),
    ];
    const result = classify(
      'web1.example.org',
      rules,
      system({ mgmt_classes: ['base', 'monitoring'], mgmt_parameters: { port: 8443, tree: 'http://x/t' } }),
    );
    assert.deepEqual(result.classes, ['base', 'monitoring', 'role_web']);
    assert.deepEqual(result.parameters, { tier: 'web', port: 8443, tree: 'http://x/t' });
    assert.deepEqual(result.system, { name: 'web1', via: 'dns_name' });
  });

  it("takes the system's status as environment, else the first matched rule's, else none", () => {
    const rules = [
      rule('base', '*', { priority: 1, merge: true }),
      rule('web', 'web*', { priority: 2, merge: true, environment: 'staging' }),
      rule('all', '*', { priority: 3, environment: 'production' }),
    ];
    assert.equal(classify('web1.example.org', rules, system({ status: 'testing' })).environment, 'testing');
    assert.equal(classify('web1.example.org', rules, system({ status: '' })).environment, 'staging');
    assert.equal(classify('db1.example.org', rules).environment, 'production');
    assert.equal('environment' in classify('db1.example.org', rules.slice(0, 2)), false);
  });

  it('answers an unknown host with no matching rule with nothing at all', () => {
    const result = classify('nobody.example.org', [rule('web', 'web*', { classes: ['role_web'] })]);
    assert.deepEqual(
      { classes: result.classes, parameters: result.parameters, system: result.system },
      { classes: [], parameters: {}, system: undefined },
    );
    assert.equal(result.rules[0]?.why, 'glob "web*" does not match');
  });

  it('skips a stored rule whose pattern is broken instead of failing every host', () => {
    const result = classify('web1.example.org', [
      rule('broken', '/^web(/', { priority: 1, classes: ['x'] }),
      rule('web', 'web*', { priority: 2, classes: ['role_web'] }),
    ]);
    assert.deepEqual(result.classes, ['role_web']);
    assert.match(
      result.rules[0]?.why ?? '',
      /^skipped: pattern "\/\^web\(\/" is not a valid regular expression/,
    );
  });
});
