// A command-line parser in the manner of Python's optparse, which Cobbler's CLI is built on: positional words,
// long flags written `--flag=value` or `--flag value`, and any unambiguous prefix of a long flag accepted
// (`--mac` for `--mac-address` works in Cobbler only because of this). Which flags exist may depend on the words
// read so far (`system add` takes other flags than `setting edit`), so the caller supplies them per word list.

import { BootwrightError, quote } from '../errors.js';

export interface FlagSpec {
  /** Where the value lands in ParsedArgs.values, e.g. "mac_address"; spellings of one flag share a key. */
  key: string;
  /** Spellings after the two dashes, the main one first: ["mac-address", "mac"]. */
  names: readonly string[];
  takesValue: boolean;
  /** A one-letter spelling after a single dash (`-s HOST`, `-sHOST`), as koan's argparse flags have. */
  short?: string;
}

export interface FlagSet {
  /** The command the flags belong to, as a person types it ("bootwright system add"); used in messages. */
  command: string;
  flags: readonly FlagSpec[];
  /** The word that selected this set hands the rest of the line to another parser (`serve`). */
  passThrough?: boolean;
}

export interface ParsedArgs {
  words: string[];
  /** Flag key to its value, or true for a flag without value; a repeated flag keeps its last value. */
  values: Map<string, string | true>;
  /** Index in argv of the word that selected a pass-through flag set; parsing stopped there. */
  passThroughAt?: number;
}

export interface ParseOptions {
  /** Skip unknown and ambiguous flags instead of failing, to find the command words for `--help`. */
  lenient?: boolean;
}

/** A mistake on the command line: exit status 2, and the message says how to write it instead. */
export function usageError(message: string): BootwrightError {
  return new BootwrightError('E_USAGE', message);
}

/** Finds the flag a spelling means: an exact spelling wins, else the one flag that all matching prefixes name. */
export function resolveFlag(typed: string, set: FlagSet): FlagSpec {
  const name = typed.replaceAll('_', '-');
  const exact = set.flags.find((flag) => flag.names.includes(name));
  if (exact) return exact;
  const candidates = set.flags.filter((flag) => flag.names.some((spelling) => spelling.startsWith(name)));
  if (name !== '' && candidates.length === 1) return candidates[0] as FlagSpec;
  if (name !== '' && candidates.length > 1) {
    const spellings = candidates.map(
      (flag) => `--${flag.names.find((spelling) => spelling.startsWith(name)) ?? flag.names[0]}`,
    );
    throw usageError(
      `Option ${quote(`--${typed}`)} of ${quote(set.command)} is ambiguous: it may mean ${spellings.join(', ')}; type more of it.`,
    );
  }
  throw usageError(
    `Unknown option ${quote(`--${typed}`)} for ${quote(set.command)}; ${quote(`${set.command} --help`)} lists the options.`,
  );
}

export function parseArgs(
  argv: readonly string[],
  flagSetFor: (words: readonly string[]) => FlagSet,
  options: ParseOptions = {},
): ParsedArgs {
  const parsed: ParsedArgs = { words: [], values: new Map() };
  let set = flagSetFor(parsed.words);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      parsed.words.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      parsed.words.push(arg);
      set = flagSetFor(parsed.words);
      if (set.passThrough) {
        parsed.passThroughAt = i;
        break;
      }
      continue;
    }
    const short = arg.startsWith('--') ? undefined : set.flags.find((flag) => flag.short === arg[1]);
    if (short) {
      // `-sHOST` or `-s HOST`; a flag without a value takes nothing after its letter.
      const attached = arg.slice(2);
      if (!short.takesValue) {
        if (attached !== '' && !options.lenient)
          throw usageError(`Option ${quote(arg.slice(0, 2))} takes no value, received ${quote(attached)}.`);
        parsed.values.set(short.key, true);
        continue;
      }
      const value = attached !== '' ? attached.replace(/^=/, '') : argv[i + 1];
      if (value === undefined) {
        if (options.lenient) break;
        throw usageError(`Option ${quote(arg)} needs a value, as in --${short.names[0]}=VALUE.`);
      }
      parsed.values.set(short.key, value);
      if (attached === '') i++;
      continue;
    }
    const long = arg === '-h' ? 'help' : arg.startsWith('--') ? arg.slice(2) : undefined;
    const eq = long?.indexOf('=') ?? -1;
    const typed = long === undefined ? arg : eq === -1 ? long : long.slice(0, eq);
    let flag: FlagSpec;
    try {
      if (long === undefined) {
        throw usageError(
          `Unknown option ${quote(arg)} for ${quote(set.command)}; options are written --name=VALUE, see ${quote(`${set.command} --help`)}.`,
        );
      }
      flag = resolveFlag(typed, set);
    } catch (error) {
      if (options.lenient) continue;
      throw error;
    }
    const inline = long !== undefined && eq !== -1 ? long.slice(eq + 1) : undefined;
    if (!flag.takesValue) {
      if (inline !== undefined && !options.lenient) {
        throw usageError(`Option ${quote(`--${typed}`)} takes no value, received ${quote(inline)}.`);
      }
      parsed.values.set(flag.key, true);
      continue;
    }
    if (inline !== undefined) {
      parsed.values.set(flag.key, inline);
      continue;
    }
    // Like optparse, the next argument is the value even if it starts with a dash (`--kopts -quiet`).
    const next = argv[i + 1];
    if (next === undefined) {
      if (options.lenient) break;
      throw usageError(`Option ${quote(`--${typed}`)} needs a value, as in --${flag.names[0]}=VALUE.`);
    }
    parsed.values.set(flag.key, next);
    i++;
  }
  return parsed;
}
