// Runs the CLI from source (`node --import tsx src/cli/run.ts ...`), as bin/bootwright.js runs the built one.

import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
