#!/usr/bin/env node
import { Command } from 'commander';
import { AlbertError, OptionError } from '../errors.js';
import { packageInfo } from '../io/package-root.js';
import { taskCommands } from './task-commands.js';
import { tokenizeCommand } from './tokenize-command.js';
import { convertCommand } from './convert-command.js';
import { inspectCommand } from './inspect-command.js';
import { optimizeCommand } from './optimize-command.js';
import { benchCommand } from './bench-command.js';
import { mergeManifestCommand } from './merge-manifest-command.js';
import { retryFailedCommand, statusCommand, submitCommand, workerCommand } from './queue-commands.js';
import { doctorCommand } from './doctor-command.js';
import { evaluateCommand, trainHeadCommand } from './train-commands.js';
import { repairCommand, verifyCommand } from './verify-commands.js';
import { codedParseErrors } from './parse-errors.js';
import { endQuietlyWhenStdoutCloses } from './stdout-pipe.js';

/**
 * `albert`: the CLI only parses arguments and calls the library; everything it does, a
 * program can do with `import`. Data goes to stdout; progress, summaries and errors to
 * stderr, errors as `albert: CODE: message`.
 */
const program = new Command('albert')
  .description('Run ALBERT models over millions of documents; write Apache Arrow embeddings and predictions')
  .version(packageInfo().version);

for (const cmd of taskCommands()) program.addCommand(cmd);
program.addCommand(trainHeadCommand());
program.addCommand(evaluateCommand());
program.addCommand(tokenizeCommand());
program.addCommand(convertCommand());
program.addCommand(optimizeCommand());
program.addCommand(inspectCommand());
program.addCommand(mergeManifestCommand());
program.addCommand(verifyCommand());
program.addCommand(repairCommand());
program.addCommand(submitCommand());
program.addCommand(workerCommand());
program.addCommand(statusCommand());
program.addCommand(retryFailedCommand());
program.addCommand(doctorCommand());
program.addCommand(benchCommand());
codedParseErrors(program);
endQuietlyWhenStdoutCloses();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof AlbertError) {
    process.stderr.write(`albert: ${err.code}: ${err.message}\n`);
    process.exitCode = err instanceof OptionError ? 2 : 1;
  } else {
    process.stderr.write(`albert: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
