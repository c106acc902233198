// `--help` text, generated from the command table and the field tables, so it always lists the flags that work.

import { isObjectKind, objectKinds } from '../model/kinds.js';
import {
  type CliOption,
  type CommandSpec,
  commands,
  findCommand,
  globalOptions,
  globalsBeside,
  objectActions,
  topics,
} from './commands.js';

const flagColumn = 34;
const lineWidth = 110;

/** Breaks help text at spaces so that no line passes lineWidth; continuation lines start at the help column. */
function wrapHelp(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && flagColumn + line.length + 1 + word.length > lineWidth) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(flagColumn)}`);
}

function optionLines(options: readonly CliOption[]): string {
  return options
    .map((option) => {
      const spellings = [
        ...(option.short ? [`-${option.short}`] : []),
        ...option.names.map(
          (name) => `--${name}${option.placeholder === undefined ? '' : `=${option.placeholder}`}`,
        ),
      ].join(', ');
      const help = wrapHelp(option.help);
      return spellings.length < flagColumn - 2
        ? `  ${spellings.padEnd(flagColumn - 2)}${help}\n`
        : `  ${spellings}\n${' '.repeat(flagColumn)}${help}\n`;
    })
    .join('');
}

function section(title: string, options: readonly CliOption[]): string {
  return options.length === 0 ? '' : `\n${title}:\n${optionLines(options)}`;
}

const footer =
  '\nA flag may be shortened to any unambiguous prefix (--netboot for --netboot-enabled), as in Cobbler.\n';

export function generalHelp(): string {
  const width = Math.max(...topics.map((topic) => topic.word.length)) + 4;
  return [
    'Usage: bootwright <command> [<action>] [--flag=value ...]\n',
    '\nA network-install server with a Cobbler-compatible command line: what the Cobbler documentation writes as\n',
    '"cobbler system add ..." is "bootwright system add ...".\n',
    '\nCommands:\n',
    ...topics.map((topic) => `  ${topic.word.padEnd(width)}${topic.summary}\n`),
    `\nThe object kinds (${objectKinds.join(', ')}) take the actions\n`,
    `${objectActions('distro').join(', ')}; profiles and systems also dumpvars, get-autoinstall.\n`,
    section('Global options (anywhere on the line)', globalOptions),
    footer,
    '\n"bootwright <command> --help" lists its actions, "bootwright <command> <action> --help" its flags;\n',
    '"bootwright --version" prints the version.\n',
  ].join('');
}

/** `bootwright system --help`: the actions of one command word. */
export function topicHelp(word: string): string {
  const actions = commands.filter((command) => command.words[0] === word && command.words.length === 2);
  const width = Math.max(...actions.map((command) => (command.words[1] as string).length)) + 4;
  const topic = topics.find((candidate) => candidate.word === word);
  const flagHint = isObjectKind(word)
    ? `\nThe flags of add, edit, copy and find are the ${word} fields; "bootwright ${word} add --help" lists them.\n`
    : '';
  return [
    `Usage: bootwright ${word} <action> [--flag=value ...]\n`,
    topic ? `\n${topic.summary}.\n` : '',
    '\nActions:\n',
    ...actions.map((command) => `  ${(command.words[1] as string).padEnd(width)}${command.summary}\n`),
    flagHint,
    section('Global options', globalOptions),
  ].join('');
}

/** Profiles and systems have a `server` field, so after their actions `--server` means the field. */
function serverClash(command: CommandSpec): string {
  const clashes = command.options.some(
    (option) => option.group !== 'global' && option.names.includes('server'),
  );
  return clashes
    ? `\nHere --server is the ${command.words[0]} field; to work on a remote server put --server=URL before the\naction ("bootwright --server=URL ${command.words.join(' ')} ...") or set BOOTWRIGHT_SERVER.\n`
    : '';
}

/** `bootwright system add --help`: every flag of one command, fields with their help from the field tables. */
export function commandHelp(command: CommandSpec): string {
  const of = (group: CliOption['group']) => command.options.filter((option) => option.group === group);
  const label = ['bootwright', ...command.words].join(' ');
  const kind = command.words[0] ?? '';
  return [
    `Usage: ${label}${command.operand ? ` ${command.operand}` : ''}${command.options.length > 0 ? ' [--flag=value ...]' : ''}\n`,
    `\n${command.summary}.\n`,
    section('Options', of('option')),
    section(
      command.words[1] === 'find' ? `Fields (glob patterns: * ? [...])` : `Fields of a ${kind}`,
      of('field'),
    ),
    section('Interface fields (of the interface named by --interface)', of('interface')),
    section('Global options', globalsBeside(command.options)),
    serverClash(command),
    command.options.length > 0 ? footer : '',
  ].join('');
}

/** Help for the words typed before --help: as deep as they name something, else the general help. */
export function helpFor(words: readonly string[]): string {
  const command = findCommand(words.slice(0, 2));
  if (command && command.words.length === 2) return commandHelp(command);
  const first = words[0];
  if (first !== undefined && commands.some((candidate) => candidate.words[0] === first)) {
    const single = findCommand([first]);
    return single ? commandHelp(single) : topicHelp(first);
  }
  return generalHelp();
}
