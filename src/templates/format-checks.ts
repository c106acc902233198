// Structural checks of rendered autoinstall files: the mistakes an installer stops on, or silently ignores, long
// after the file left the server. A template bug (an unknown kickstart command, a %post without %end, a boolean
// that is not `true`, an empty YAML list) is cheaper to find here than on a console at 3 a.m.
// Each checker takes the rendered text and returns the problems found, each naming its line; [] means clean.

import { SaxesParser } from 'saxes';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';

/** Every command pykickstart knows (RHEL 5 to Fedora 40), old and new spellings alike. */
const kickstartCommands = new Set([
  'auth',
  'authconfig',
  'authselect',
  'autopart',
  'autostep',
  'bootloader',
  'btrfs',
  'cdrom',
  'clearpart',
  'cmdline',
  'device',
  'deviceprobe',
  'dmraid',
  'driverdisk',
  'eula',
  'fcoe',
  'firewall',
  'firstboot',
  'graphical',
  'group',
  'halt',
  'harddrive',
  'hmc',
  'ignoredisk',
  'install',
  'interactive',
  'iscsi',
  'iscsiname',
  'key',
  'keyboard',
  'lang',
  'langsupport',
  'liveimg',
  'logging',
  'logvol',
  'mediacheck',
  'method',
  'module',
  'monitor',
  'mount',
  'mouse',
  'multipath',
  'network',
  'nfs',
  'nvdimm',
  'ostreecontainer',
  'ostreesetup',
  'part',
  'partition',
  'poweroff',
  'raid',
  'realm',
  'reboot',
  'repo',
  'reqpart',
  'rescue',
  'rhsm',
  'rootpw',
  'selinux',
  'services',
  'shutdown',
  'skipx',
  'snapshot',
  'sshkey',
  'sshpw',
  'syspurpose',
  'text',
  'timesource',
  'timezone',
  'updates',
  'upgrade',
  'url',
  'user',
  'vnc',
  'volgroup',
  'xconfig',
  'zerombr',
  'zfcp',
  'zipl',
]);

/** Sections that run as scripts: their `$` belong to the shell, not to the template. */
const kickstartScriptSections = new Set(['%pre', '%pre-install', '%post', '%onerror', '%traceback']);
/** Sections whose body anaconda hands to someone else (an addon, a certificate store) unread. */
const kickstartOpaqueSections = new Set(['%addon', '%anaconda', '%certificate']);
const kickstartSections = new Set([...kickstartScriptSections, ...kickstartOpaqueSections, '%packages']);
const kickstartLineDirectives = new Set(['%include', '%ksappend']);

/** A crypt(3) hash (`$1$salt$hash`, `$6$...`, `$y$...`): its dollars are data, not template variables. */
const cryptHash = /\$[0-9a-z]{1,4}\$[^\s'"<]*/gi;
const placeholder = /\$\{?[A-Za-z_][A-Za-z0-9_]*/;
/** Cheetah directives that survived rendering, e.g. a `#end if` the engine never matched. */
const leftoverDirective =
  /^\s*#(if|else|elif|end|for|set|def|raw|slurp|include|import|from|extends|block|silent|echo|unless|while)\b/;

function leftoverTemplateSyntax(line: string): string | undefined {
  if (line.includes('$SNIPPET(') || line.includes('SNIPPET::')) return 'a snippet call was not rendered';
  if (line.includes('# Error: no snippet data')) return 'a snippet was missing when the file was rendered';
  const directive = leftoverDirective.exec(line);
  if (directive) return `the template directive "#${directive[1]}" was not rendered`;
  return undefined;
}

function unrenderedVariable(text: string): string | undefined {
  return placeholder.exec(text.replace(cryptHash, ''))?.[0];
}

function lineProblem(lineNumber: number, message: string): string {
  return `line ${lineNumber}: ${message}`;
}

export interface KickstartCheckOptions {
  /**
   * `required` from RHEL 6 on (RHEL 7 fails without it); `forbidden` for RHEL 5, whose anaconda ends a section
   * at the next section header and stops on an `%end` it does not know.
   */
  sectionEnd?: 'required' | 'forbidden';
}

/**
 * A kickstart: only commands anaconda knows in the command section, every section closed by %end (or, for RHEL 5,
 * none), and no template variable left outside the shell code of %pre and %post.
 */
export function checkKickstart(text: string, options: KickstartCheckOptions = {}): string[] {
  const endRequired = (options.sectionEnd ?? 'required') === 'required';
  const problems: string[] = [];
  let open: { name: string; line: number } | undefined;
  let commands = 0;
  text.split('\n').forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.trim();
    const leftover = leftoverTemplateSyntax(raw);
    if (leftover) problems.push(lineProblem(lineNumber, leftover));
    if (line === '') return;
    const word = line.split(/\s+/)[0] ?? '';
    if (word === '%end') {
      if (!endRequired) problems.push(lineProblem(lineNumber, 'RHEL 5 does not know %end'));
      else if (!open) problems.push(lineProblem(lineNumber, '%end without an open section'));
      open = undefined;
      return;
    }
    if (kickstartSections.has(word)) {
      if (open && endRequired) {
        problems.push(
          lineProblem(
            lineNumber,
            `${word} starts before ${open.name} from line ${open.line} is closed by %end`,
          ),
        );
      }
      open = { name: word, line: lineNumber };
      return;
    }
    if (open && (kickstartScriptSections.has(open.name) || kickstartOpaqueSections.has(open.name))) return;
    if (line.startsWith('#')) return;
    const variable = unrenderedVariable(line);
    if (variable)
      problems.push(lineProblem(lineNumber, `the template variable "${variable}" was not rendered`));
    if (open) return; // %packages: package and group names, which anaconda checks against the repositories
    if (word.startsWith('%')) {
      if (!kickstartLineDirectives.has(word))
        problems.push(lineProblem(lineNumber, `unknown section "${word}"`));
      return;
    }
    commands += 1;
    if (!kickstartCommands.has(word))
      problems.push(lineProblem(lineNumber, `unknown kickstart command "${word}"`));
  });
  if (open && endRequired) problems.push(lineProblem(open.line, `${open.name} is never closed by %end`));
  if (commands === 0) problems.push('the kickstart has no commands');
  return problems;
}

const debconfTypes = new Set([
  'string',
  'boolean',
  'select',
  'multiselect',
  'note',
  'text',
  'password',
  'error',
  'title',
]);
/** Types whose empty value is a choice (an empty proxy, no extra packages) rather than a mistake. */
const debconfTypesAllowingEmpty = new Set(['string', 'note', 'text', 'password', 'error', 'title']);
const debconfOwner = /^[a-z0-9][a-z0-9+.-]+$/;
const debconfQuestion = /^[A-Za-z0-9][\w.+-]*(\/[\w.+-]+)+$/;

/**
 * A preseed: every line `owner question type value` as debconf-set-selections reads it, owned by `d-i` or by the
 * package the question belongs to (`tasksel tasksel/first`), with a known type and a value where one is needed.
 */
export function checkPreseed(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  let entries = 0;
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    let line = lines[index] ?? '';
    // debconf-set-selections joins a line ending in a backslash with the next one.
    while (line.endsWith('\\') && index + 1 < lines.length) {
      index += 1;
      line = `${line.slice(0, -1)}${lines[index] ?? ''}`;
    }
    const leftover = leftoverTemplateSyntax(line);
    if (leftover) problems.push(lineProblem(lineNumber, leftover));
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    entries += 1;
    const match = /^(\S+)\s+(\S+)\s+(\S+)(?:[ \t](.*))?$/.exec(trimmed);
    if (!match) {
      problems.push(lineProblem(lineNumber, `expected "owner question type value", received "${trimmed}"`));
      continue;
    }
    const [, owner = '', question = '', type = '', rawValue = ''] = match;
    const value = rawValue.trim();
    if (owner !== 'd-i' && !(debconfOwner.test(owner) && question.startsWith(`${owner}/`))) {
      problems.push(
        lineProblem(
          lineNumber,
          `owner "${owner}" is neither "d-i" nor the package of question "${question}"`,
        ),
      );
    }
    if (!debconfQuestion.test(question)) {
      problems.push(
        lineProblem(lineNumber, `"${question}" is not a debconf question such as "netcfg/get_hostname"`),
      );
    }
    if (!debconfTypes.has(type)) {
      problems.push(lineProblem(lineNumber, `unknown debconf type "${type}" for "${question}"`));
    } else if (value === '' && !debconfTypesAllowingEmpty.has(type)) {
      problems.push(lineProblem(lineNumber, `"${question}" has type ${type} but no value`));
    } else if (type === 'boolean' && value !== 'true' && value !== 'false') {
      problems.push(
        lineProblem(lineNumber, `boolean "${question}" must be true or false, received "${value}"`),
      );
    }
    // Commands run by the installer may use shell variables of their own.
    if (!question.endsWith('_command')) {
      const variable = unrenderedVariable(value);
      if (variable)
        problems.push(lineProblem(lineNumber, `the template variable "${variable}" was not rendered`));
    }
  }
  if (entries === 0) problems.push('the preseed has no entries');
  return problems;
}

/** Keys of Subiquity's autoinstall schema that must hold a list of shell command strings. */
const autoinstallCommandLists = ['early-commands', 'late-commands', 'error-commands'];

/**
 * Ubuntu autoinstall delivered as cloud-init user-data: `#cloud-config` on the first line (cloud-init ignores the
 * file otherwise), valid YAML, and an `autoinstall` mapping of version 1 whose command lists are lists of strings.
 */
export function checkCloudConfig(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  if ((lines[0] ?? '').trimEnd() !== '#cloud-config') {
    problems.push(lineProblem(1, `the first line must be "#cloud-config", received "${lines[0] ?? ''}"`));
  }
  lines.forEach((line, index) => {
    const leftover = leftoverTemplateSyntax(line);
    if (leftover) problems.push(lineProblem(index + 1, leftover));
  });
  const document = parseDocument(text, { prettyErrors: false });
  for (const error of document.errors) {
    const line = text.slice(0, error.pos[0]).split('\n').length;
    problems.push(lineProblem(line, error.message));
  }
  if (document.errors.length > 0) return problems;
  const autoinstall = isMap(document.contents) ? document.contents.get('autoinstall', true) : undefined;
  if (!isMap(autoinstall)) {
    problems.push('there is no "autoinstall:" mapping at the top level');
    return problems;
  }
  const version = autoinstall.get('version', true);
  if (!isScalar(version) || version.value !== 1) {
    problems.push(`autoinstall.version must be 1, received ${JSON.stringify(version?.toJSON() ?? null)}`);
  }
  for (const key of autoinstallCommandLists) {
    if (!autoinstall.has(key)) continue;
    const list = autoinstall.get(key, true);
    if (!isSeq(list) || list.items.length === 0) {
      problems.push(`autoinstall.${key} must be a non-empty list of commands`);
      continue;
    }
    list.items.forEach((item, index) => {
      if (!isScalar(item) || typeof item.value !== 'string') {
        problems.push(`autoinstall.${key}[${index}] must be a command string`);
      }
    });
  }
  const shutdown = autoinstall.get('shutdown');
  if (shutdown !== undefined && shutdown !== 'reboot' && shutdown !== 'poweroff') {
    problems.push(
      `autoinstall.shutdown must be "reboot" or "poweroff", received ${JSON.stringify(shutdown)}`,
    );
  }
  return problems;
}

const yast2Namespace = 'http://www.suse.com/1.0/yast2ns';
const yastConfigNamespace = 'http://www.suse.com/1.0/configns';
const yastConfigTypes = new Set(['boolean', 'integer', 'list', 'symbol']);

/**
 * An AutoYaST profile: well-formed XML whose root is `<profile>` in the yast2ns namespace, `config:type`
 * attributes YaST understands, booleans that are `true` or `false`, and no template variable left outside the
 * shell code of `<source>` elements.
 */
export function checkAutoyast(text: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    const leftover = leftoverTemplateSyntax(line);
    if (leftover) problems.push(lineProblem(index + 1, leftover));
  });
  const parser = new SaxesParser({ xmlns: true, position: true });
  const open: { name: string; type: string | undefined; text: string }[] = [];
  let root: { local: string; uri: string } | undefined;
  parser.on('error', (error) => {
    problems.push(error.message.replace(/^(\d+):(\d+): /, 'line $1, column $2: '));
  });
  parser.on('opentag', (tag) => {
    if (!root) root = { local: tag.local, uri: tag.uri };
    let type: string | undefined;
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.uri === yastConfigNamespace && attribute.local === 'type') {
        type = attribute.value;
        if (!yastConfigTypes.has(type)) {
          problems.push(lineProblem(parser.line, `<${tag.name}> has unknown config:type "${type}"`));
        }
      }
    }
    open.push({ name: tag.name, type, text: '' });
  });
  const addText = (chunk: string) => {
    const current = open.at(-1);
    if (current) current.text += chunk;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => {
    const element = open.pop();
    if (!element) return;
    const value = element.text.trim();
    if (element.type === 'boolean' && value !== 'true' && value !== 'false') {
      problems.push(lineProblem(parser.line, `<${element.name}> is boolean but holds "${value}"`));
    }
    if (element.name !== 'source') {
      const variable = unrenderedVariable(value);
      if (variable) {
        problems.push(lineProblem(parser.line, `the template variable "${variable}" was not rendered`));
      }
    }
  });
  try {
    parser.write(text).close();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  if (!root) problems.push('the document has no root element');
  else if (root.local !== 'profile' || root.uri !== yast2Namespace) {
    problems.push(
      `the root element must be <profile> in namespace ${yast2Namespace}, received <${root.local}> in ${root.uri === '' ? 'no namespace' : root.uri}`,
    );
  }
  return problems;
}
