import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAutoyast, checkCloudConfig, checkKickstart, checkPreseed } from './format-checks.js';

function assertProblem(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((problem) => pattern.test(problem)),
    `expected a problem matching ${pattern}, received ${JSON.stringify(problems)}`,
  );
}

const kickstart = `# a rendered kickstart
text
url --url=http://192.0.2.1/cblr/links/rhel9
rootpw --iscrypted $6$rounds=4096$salt$hashhashhash
%include /tmp/pre_install_network_config
reboot

%packages
@core
%end

%pre
nic=$(ip -o link | awk '{print $2}')
%end

%post --nochroot
echo "$nic" > /tmp/x
%end
`;

describe('checkKickstart', () => {
  it('accepts a kickstart with known commands, closed sections, shell variables in scripts and a crypted password', () => {
    assert.deepEqual(checkKickstart(kickstart), []);
  });

  it('rejects an unknown command', () => {
    assertProblem(
      checkKickstart(kickstart.replace('text\n', 'txet\n')),
      /^line 2: unknown kickstart command "txet"/,
    );
  });

  it('rejects a section left open and one opened inside another', () => {
    const problems = checkKickstart(kickstart.replace('@core\n%end\n', '@core\n'));
    assertProblem(problems, /^line 11: %pre starts before %packages from line 8 is closed by %end/);
    assertProblem(checkKickstart('text\n%post\necho done\n'), /^line 2: %post is never closed by %end/);
    assertProblem(checkKickstart('text\n%end\n'), /^line 2: %end without an open section/);
  });

  it('rejects template variables and snippet calls that were not rendered', () => {
    assertProblem(
      checkKickstart(kickstart.replace('http://192.0.2.1', 'http://$http_server')),
      /"\$http_server"/,
    );
    assertProblem(
      checkKickstart(kickstart.replace('@core', '@core\n${extra_packages}')),
      /"\$\{extra_packages"/,
    );
    assertProblem(
      checkKickstart(`${kickstart}$SNIPPET('network_config')\n`),
      /snippet call was not rendered/,
    );
    assertProblem(checkKickstart(`${kickstart}%post\n#if $x\n%end\n`), /directive "#if" was not rendered/);
  });

  it('takes RHEL 5 sections that end at the next header, and refuses %end there', () => {
    const rhel5 = kickstart.replaceAll('%end\n', '');
    assert.deepEqual(checkKickstart(rhel5, { sectionEnd: 'forbidden' }), []);
    assertProblem(
      checkKickstart(kickstart, { sectionEnd: 'forbidden' }),
      /^line 10: RHEL 5 does not know %end/,
    );
  });

  it('rejects an empty file', () => {
    assertProblem(checkKickstart(''), /no commands/);
  });
});

const preseed = `# a rendered preseed
d-i debian-installer/locale string en_US.UTF-8
d-i mirror/http/proxy string
d-i passwd/root-password-crypted password $1$mF86/UHC$WvcIcX2t6crBz2onWxyac.
d-i partman/confirm boolean true
tasksel tasksel/first multiselect standard, ssh-server
popularity-contest popularity-contest/participate boolean false
d-i preseed/late_command string \\
    wget -O /tmp/late.sh http://192.0.2.1/x; for f in $files; do :; done
`;

describe('checkPreseed', () => {
  it('accepts d-i and package-owned questions, empty strings, continuation lines and shell in commands', () => {
    assert.deepEqual(checkPreseed(preseed), []);
  });

  it('rejects a line without owner, question and type', () => {
    assertProblem(
      checkPreseed(`${preseed}d-i netcfg/get_hostname\n`),
      /^line 10: expected "owner question type value"/,
    );
  });

  it('rejects an owner that does not own the question', () => {
    assertProblem(checkPreseed(`${preseed}di netcfg/get_hostname string web1\n`), /owner "di" is neither/);
  });

  it('rejects unknown types, non-boolean booleans and missing values', () => {
    assertProblem(
      checkPreseed(`${preseed}d-i netcfg/get_hostname strng web1\n`),
      /unknown debconf type "strng"/,
    );
    assertProblem(
      checkPreseed(`${preseed}d-i partman/confirm boolean yes\n`),
      /must be true or false, received "yes"/,
    );
    assertProblem(checkPreseed(`${preseed}d-i partman-auto/method select\n`), /has type select but no value/);
  });

  it('rejects a template variable left in a value', () => {
    assertProblem(checkPreseed(`${preseed}d-i netcfg/get_hostname string $hostname\n`), /"\$hostname"/);
  });
});

const cloudConfig = `#cloud-config
autoinstall:
  version: 1
  identity:
    hostname: web1
  early-commands:
    - curl -s -o /dev/null http://192.0.2.1/cblr/svc/op/trig/mode/pre/system/web1 || true
  shutdown: poweroff
`;

describe('checkCloudConfig', () => {
  it('accepts autoinstall user-data of version 1', () => {
    assert.deepEqual(checkCloudConfig(cloudConfig), []);
  });

  it('rejects a file that does not start with #cloud-config', () => {
    assertProblem(checkCloudConfig(`\n${cloudConfig}`), /^line 1: the first line must be "#cloud-config"/);
  });

  it('rejects YAML that does not parse', () => {
    assertProblem(checkCloudConfig(`${cloudConfig}  late-commands: [unclosed\n`), /^line \d+: /);
  });

  it('rejects a missing autoinstall mapping or a wrong version', () => {
    assertProblem(checkCloudConfig('#cloud-config\nusers: []\n'), /no "autoinstall:" mapping/);
    assertProblem(checkCloudConfig(cloudConfig.replace('version: 1', 'version: "1"')), /version must be 1/);
  });

  it('rejects an empty command list and an unknown shutdown', () => {
    assertProblem(
      checkCloudConfig(`${cloudConfig}  late-commands:\n`),
      /late-commands must be a non-empty list/,
    );
    assertProblem(
      checkCloudConfig(cloudConfig.replace('poweroff', 'halt')),
      /shutdown must be "reboot" or "poweroff"/,
    );
  });
});

const autoyast = `<?xml version="1.0"?>
<!DOCTYPE profile>
<profile xmlns="http://www.suse.com/1.0/yast2ns" xmlns:config="http://www.suse.com/1.0/configns">
  <general>
    <mode>
      <confirm config:type="boolean">false</confirm>
    </mode>
  </general>
  <users config:type="list">
    <user>
      <username>root</username>
      <user_password>$1$mF86/UHC$WvcIcX2t6crBz2onWxyac.</user_password>
    </user>
  </users>
  <scripts>
    <pre-scripts config:type="list">
      <script>
        <source><![CDATA[for nic in $nics; do echo "$nic"; done]]></source>
      </script>
    </pre-scripts>
  </scripts>
</profile>
`;

describe('checkAutoyast', () => {
  it('accepts a profile in the yast2ns namespace with shell variables only in script sources', () => {
    assert.deepEqual(checkAutoyast(autoyast), []);
  });

  it('rejects XML that is not well-formed', () => {
    assertProblem(checkAutoyast(autoyast.replace('</general>', '')), /^line \d+, column \d+: /);
  });

  it('rejects a root outside the yast2ns namespace', () => {
    assertProblem(
      checkAutoyast('<profile><general/></profile>'),
      /root element must be <profile> in namespace http:\/\/www.suse.com\/1.0\/yast2ns, received <profile> in no namespace/,
    );
  });

  it('rejects an undeclared config prefix, an unknown config:type and a boolean that is not one', () => {
    assertProblem(
      checkAutoyast(autoyast.replace(' xmlns:config="http://www.suse.com/1.0/configns"', '')),
      /prefix/,
    );
    assertProblem(
      checkAutoyast(autoyast.replace('config:type="list">\n    <user>', 'config:type="array">\n    <user>')),
      /unknown config:type "array"/,
    );
    assertProblem(
      checkAutoyast(autoyast.replace('>false</confirm>', '>no</confirm>')),
      /<confirm> is boolean but holds "no"/,
    );
  });

  it('rejects a template variable left in element text', () => {
    assertProblem(checkAutoyast(autoyast.replace('<username>root', '<username>$user')), /"\$user"/);
  });
});
