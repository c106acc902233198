// The `bootwright` command: parses the line, picks the inventory (local store or --server), runs one command and
// turns any failure into one line on stderr and the exit status of its error code. It never throws.

import { resolveDataDir } from '../config/paths.js';
import { asBootwrightError, BootwrightError, quote } from '../errors.js';
import { isObjectKind } from '../model/kinds.js';
import { formatInstallLogs } from '../triggers/install-logs.js';
import { version } from '../version.js';
import { parseArgs, usageError } from './args.js';
import { type GlobalOptions, openBackend } from './backend.js';
import { endQuietlyWhenReaderGoes, keepServingWhenReaderGoes, readerWentAway } from './closed-output.js';
import { commands, findCommand, flagSetFor, type ObjectAction } from './commands.js';
import { runEncCommand } from './enc-commands.js';
import { runExternalConfigCommand } from './external-commands.js';
import { formatJson } from './format.js';
import { helpFor } from './help.js';
import { runImport } from './import-command.js';
import { type CliIo, type Invocation, type OutputFormat, optionValue } from './invocation.js';
import { runLibraryCommand, runValidateAutoinstalls } from './library-commands.js';
import { runImportCobbler, runReplicate } from './migrate-commands.js';
import { runListAll, runObjectCommand } from './object-commands.js';
import { isPowerVerb, runPowerCommand } from './power-commands.js';
import { runReposyncCommand } from './reposync-command.js';
import { runSettingCommand } from './setting-commands.js';
import { runSignatureCommand, runSync } from './signature-commands.js';
import { runCheck, runStatus, runWatch } from './status-commands.js';
import { runUserCommand } from './user-commands.js';

/** The line before `--`, where flags are read. */
function optionsPart(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end === -1 ? argv : argv.slice(0, end);
}

/** `--help` or `-h` anywhere before `--` wins over everything else on the line, even over mistakes in it. */
function helpRequested(argv: readonly string[]): boolean {
  return optionsPart(argv).some((arg) => arg === '--help' || arg === '-h');
}

function parseFormat(value: string | true | undefined): OutputFormat {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw usageError(`Format ${quote(String(value))} is not one of: text, json.`);
}

function unknownCommand(words: readonly string[]): BootwrightError {
  const [word = '', action] = words;
  const actions = commands
    .filter((command) => command.words[0] === word && command.words.length === 2)
    .map((command) => command.words[1]);
  if (actions.length === 0)
    return usageError(`Unknown command ${quote(word)}; "bootwright --help" lists the commands.`);
  const choice = `${actions.join(', ')}; "bootwright ${word} --help" tells more`;
  return action === undefined
    ? usageError(`${quote(`bootwright ${word}`)} needs an action: ${choice}.`)
    : usageError(`Unknown action ${quote(action)} for ${quote(`bootwright ${word}`)}; it takes ${choice}.`);
}

async function runServe(argv: string[], io: CliIo): Promise<number> {
  keepServingWhenReaderGoes();
  // Loaded only here: the server pulls in HTTP and every service, which no other command needs.
  let serveModule: typeof import('../serve.js');
  try {
    serveModule = await import('../serve.js');
  } catch (error) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `"bootwright serve" is not available in this build: ${(error as Error).message}`,
    );
  }
  return serveModule.serve(argv, io);
}

/** The line parsed; a flag unknown to an action that does not exist is reported as the action being unknown. */
function parseLine(argv: string[], wantsHelp: boolean): ReturnType<typeof parseArgs> {
  try {
    return parseArgs(argv, flagSetFor, { lenient: wantsHelp });
  } catch (error) {
    const { words } = parseArgs(argv, flagSetFor, { lenient: true });
    if (words.length > 0 && !findCommand(words.slice(0, 2)) && !findCommand(words.slice(0, 1)))
      throw unknownCommand(words);
    throw error;
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const wantsHelp = helpRequested(argv);
  // `bootwright --version`, as most commands answer it (Cobbler's own CLI included).
  if (!wantsHelp && optionsPart(argv).includes('--version')) {
    io.stdout.write(`bootwright ${version}\n`);
    return 0;
  }
  const parsed = parseLine(argv, wantsHelp);
  if (parsed.passThroughAt !== undefined) {
    return runServe(
      argv.filter((_, index) => index !== parsed.passThroughAt),
      io,
    );
  }
  if (wantsHelp || parsed.values.has('help')) {
    io.stdout.write(helpFor(parsed.words));
    return 0;
  }
  if (parsed.words.length === 0)
    throw usageError('No command given; "bootwright --help" lists the commands.');
  const command = findCommand(parsed.words.slice(0, 2)) ?? findCommand(parsed.words.slice(0, 1));
  if (!command) throw unknownCommand(parsed.words);
  const operand = command.operand === undefined ? undefined : parsed.words[command.words.length];
  const extra = parsed.words[command.words.length + (operand === undefined ? 0 : 1)];
  if (extra !== undefined) {
    throw usageError(
      `Unexpected argument ${quote(extra)} for ${quote(['bootwright', ...command.words].join(' '))}; flags are written --name=VALUE.`,
    );
  }
  const invocation: Invocation = {
    command,
    values: parsed.values,
    ...(operand === undefined ? {} : { operand }),
    format: parseFormat(parsed.values.get('format')),
    io,
  };
  const globals: GlobalOptions = {
    dataDir: resolveDataDir(optionValue(invocation, 'data_dir'), io.env),
    server: optionValue(invocation, 'remote_server') ?? io.env.BOOTWRIGHT_SERVER,
    token: optionValue(invocation, 'token') ?? io.env.BOOTWRIGHT_TOKEN,
    notice: (line) => io.stderr.write(`bootwright: ${line}\n`),
  };
  const [word, action = ''] = command.words;
  if (word === 'version') {
    io.stdout.write(invocation.format === 'json' ? formatJson({ version }) : `bootwright ${version}\n`);
    return 0;
  }
  if (word === 'user') {
    await runUserCommand(action, invocation, globals.dataDir);
    return 0;
  }
  if (word === 'template' || word === 'snippet') {
    await runLibraryCommand(word, action, invocation, globals);
    return 0;
  }
  if (word === 'ext-nodes' || (word === 'role' && action === 'test')) {
    await runEncCommand(word, invocation, globals);
    return 0;
  }
  // The virtual-install client talks to a server over XML-RPC, never to the local store (src/koan/).
  if (word === 'koan') {
    const { runKoan } = await import('../koan/koan.js');
    return runKoan(invocation);
  }
  // A private install network with real VMs (src/lab/); loaded only here, as it pulls in the process machinery.
  if (word === 'lab') {
    const { runLabCommand } = await import('../lab/lab-commands.js');
    return runLabCommand(action, invocation, globals.dataDir, main);
  }
  // The virtual BMC (src/bmc/) drives libvirt, not the inventory.
  if (word === 'bmc') {
    keepServingWhenReaderGoes();
    const { runBmcCommand } = await import('../bmc/bmc-command.js');
    return runBmcCommand(invocation, globals.dataDir);
  }
  if (word === 'sync') {
    runSync(invocation);
    return 0;
  }
  if (word === 'signature') {
    await runSignatureCommand(action, invocation, globals);
    return 0;
  }
  // Configuration for a site's own DHCP and DNS servers (src/external/).
  if (word === 'dhcp-config' || word === 'dns-config') {
    await runExternalConfigCommand(word, invocation, globals);
    return 0;
  }
  if (word === 'reposync') return await runReposyncCommand(invocation, globals);
  const opened = await openBackend(globals);
  const { backend, renderer, events, local, close } = opened;
  try {
    if (word === 'status') {
      await runStatus(invocation, events, async (system) =>
        globals.server ? '' : formatInstallLogs(globals.dataDir, system),
      );
      return 0;
    }
    if (word === 'watch') {
      await runWatch(invocation, events);
      return 0;
    }
    if (word === 'check') return await runCheck(invocation, local, globals, opened.mirrors);
    if (word === 'import') {
      await runImport(invocation, backend, globals);
      return 0;
    }
    if (word === 'import-cobbler') return await runImportCobbler(invocation, backend, globals);
    if (word === 'replicate') return await runReplicate(invocation, backend, globals);
    if (word === 'validate-autoinstalls') return await runValidateAutoinstalls(invocation, renderer);
    if (word === 'system' && isPowerVerb(action)) return await runPowerCommand(action, invocation, opened);
    if (word === 'setting') await runSettingCommand(action, invocation, backend);
    else if (word === 'list' || word === 'report') await runListAll(word, invocation, backend);
    else if (word !== undefined && isObjectKind(word))
      await runObjectCommand(
        word,
        action as ObjectAction,
        invocation,
        backend,
        renderer,
        opened.mirrorStatus,
      );
  } finally {
    await close();
  }
  return 0;
}

function errorLine(thrown: unknown): string {
  const error = asBootwrightError(thrown);
  const message =
    error.code === 'E_INTERNAL' ? error.message.replace(/^Internal error/, 'internal error') : error.message;
  // One line, whatever the message holds, so that scripts can read stderr line by line.
  return `bootwright: ${message.replaceAll(/\s*\r?\n\s*/g, ' ')}\n`;
}

export async function main(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  if (!io.stdout) endQuietlyWhenReaderGoes(process.stdout);
  if (!io.stderr) endQuietlyWhenReaderGoes(process.stderr);
  const cli: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    stdin: io.stdin ?? process.stdin,
  };
  try {
    return await run(argv, cli);
  } catch (error) {
    if (!io.stdout && readerWentAway(process.stdout)) return 0;
    try {
      cli.stderr.write(errorLine(error));
    } catch {
      // Nowhere left to report to (stderr closed); the exit status still tells.
    }
    return asBootwrightError(error).exitCode;
  }
}
