// One parsed command line as the command handlers see it: the command, its flag values, where to write.

import { quote } from '../errors.js';
import { usageError } from './args.js';
import type { CommandSpec } from './commands.js';

export interface TextSink {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/**
 * The CLI itself, as a function: how the lab runs bootwright commands on its own data directory. It is handed to
 * the lab by the CLI rather than imported, so that the CLI and the lab do not import each other.
 */
export type CliMain = (argv: string[], io?: Partial<CliIo>) => Promise<number>;

export type OutputFormat = 'text' | 'json';

export interface Invocation {
  command: CommandSpec;
  values: ReadonlyMap<string, string | true>;
  /** The word after the command, for commands that take one (CommandSpec.operand). */
  operand?: string;
  format: OutputFormat;
  io: CliIo;
}

export function commandLabel(invocation: Invocation): string {
  return ['bootwright', ...invocation.command.words].join(' ');
}

/** The text value of a flag; a flag without value never reaches here because the parser knows which take one. */
export function optionValue(invocation: Invocation, key: string): string | undefined {
  const value = invocation.values.get(key);
  return typeof value === 'string' ? value : undefined;
}

export function requireOption(invocation: Invocation, key: string): string {
  const value = optionValue(invocation, key);
  if (value === undefined || value === '') {
    const flag = invocation.command.options.find((candidate) => candidate.key === key);
    const spelling = `--${flag?.names[0] ?? key}=${flag?.placeholder ?? 'VALUE'}`;
    throw usageError(`${quote(commandLabel(invocation))} needs ${spelling}.`);
  }
  return value;
}

export function flagGiven(invocation: Invocation, key: string): boolean {
  return invocation.values.get(key) === true;
}

/** Everything piped to standard input, as text. */
export async function readStdin(io: CliIo): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin)
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return text;
}
