import type { Command, CommanderError, Option } from 'commander';
import { OptionError, type ErrorCode } from '../errors.js';

/**
 * One path for option errors: what commander refuses while parsing (a value outside
 * `.choices()`, an unknown flag, a missing argument) becomes an {@link OptionError} like the
 * ones the library throws, so main.ts prints `albert: CODE: message` and exits 2 for both.
 * Left alone, commander prints `error: …` without a code and exits 1.
 *
 * commander passes only its message text, so the option and the value are read back out of
 * it; a message we do not recognise (a future commander) still comes through, uncoded no more.
 */

// Not failures: the help and version commander prints, and exits with, as before.
const NOT_ERRORS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version', 'commander.executeSubCommandAsync']);

/** Applies to `cmd` and every subcommand (commander's `addCommand` copies no settings). */
export function codedParseErrors(cmd: Command): Command {
  // Returning lets commander exit as it does without an override; throwing ends the parse.
  cmd.exitOverride((err) => {
    if (!NOT_ERRORS.has(err.code)) throw parseError(cmd, err);
  });
  // Silences commander's own `error: …` line: main.ts prints the coded one.
  cmd.configureOutput({ outputError: () => {} });
  for (const sub of cmd.commands) codedParseErrors(sub);
  return cmd;
}

/** The OptionError for one commander parse error, raised on `cmd`. */
export function parseError(cmd: Command, err: CommanderError): OptionError {
  const text = err.message.replace(/^error: /, '');
  const path = commandPath(cmd);
  const coded = (code: ErrorCode, message: string, details: Record<string, unknown>) => new OptionError(code, message, details, { cause: err });
  let m: RegExpMatchArray | null;
  switch (err.code) {
    case 'commander.invalidArgument':
      if ((m = /^option '([^']+)' argument '([\s\S]*)' is invalid\. ([\s\S]*)$/.exec(text))) {
        const option = longFlag(m[1]);
        return coded('ALB_OPTION_INVALID', invalidValue(`option ${option}`, m[2], m[3]), { option, got: m[2] });
      }
      if ((m = /^command-argument value '([\s\S]*)' is invalid for argument '([^']+)'\. ([\s\S]*)$/.exec(text))) {
        return coded('ALB_OPTION_INVALID', invalidValue(`argument <${m[2]}>`, m[1], m[3]), { option: `<${m[2]}>`, got: m[1] });
      }
      break;
    case 'commander.optionMissingArgument':
      if ((m = /^option '([^']+)' argument missing$/.exec(text))) {
        const option = longFlag(m[1]);
        const choices = findOption(cmd, m[1])?.argChoices;
        const placeholder = /[<[][^>\]]*[>\]]/.exec(m[1])?.[0] ?? 'a value';
        return coded('ALB_OPTION_INVALID', `option ${option}: expected ${choices ? `one of ${choices.join(', ')}` : placeholder}, got no value`, { option, got: null });
      }
      break;
    case 'commander.unknownOption':
      if ((m = /^unknown option '([^']+)'(?:\n\(Did you mean (?:one of )?(.+)\?\))?$/.exec(text))) {
        return coded('ALB_OPTION_UNKNOWN', `unknown option ${m[1]}${m[2] ? ` (did you mean ${m[2]}?)` : ''}; \`${path} --help\` lists the options`, { option: m[1], got: m[1] });
      }
      break;
    case 'commander.unknownCommand':
      if ((m = /^unknown command '([^']*)'(?:\n\(Did you mean (?:one of )?(.+)\?\))?$/.exec(text))) {
        return coded('ALB_OPTION_UNKNOWN', `unknown command ${JSON.stringify(m[1])}${m[2] ? ` (did you mean ${m[2]}?)` : ''}; \`${path} --help\` lists the commands`, { option: 'command', got: m[1] });
      }
      break;
    case 'commander.missingArgument':
      if ((m = /^missing required argument '([^']+)'$/.exec(text))) {
        return coded('ALB_OPTION_MISSING', `missing argument <${m[1]}>, got none (usage: ${path} ${cmd.usage()})`, { option: `<${m[1]}>`, got: null });
      }
      break;
    case 'commander.missingMandatoryOptionValue':
      if ((m = /^required option '([^']+)' not specified$/.exec(text))) {
        const option = longFlag(m[1]);
        const help = findOption(cmd, m[1])?.description;
        return coded('ALB_OPTION_MISSING', `missing option ${option}, got none${help ? `; ${m[1]}: ${help}` : ''}`, { option, got: null });
      }
      break;
    case 'commander.excessArguments': {
      const expected = cmd.registeredArguments.map((a) => `<${a.name()}>`);
      const got = cmd.args.map((a) => JSON.stringify(a)).join(', ');
      return coded('ALB_OPTION_INVALID', `\`${path}\` takes ${expected.length === 0 ? 'no arguments' : `${expected.length} argument${expected.length === 1 ? '' : 's'} (${expected.join(' ')})`}, got ${cmd.args.length}: ${got}`, { option: 'arguments', got: cmd.args });
    }
    case 'commander.conflictingOption':
      return coded('ALB_OPTION_CONFLICT', text, {});
  }
  return coded('ALB_OPTION_INVALID', `${path}: ${text}`, {});
}

/** `option --pooling: expected one of mean, cls, got "foo"`; a reason of ours (intArg) is already worded so. */
function invalidValue(what: string, value: string, reason: string): string {
  const choices = /^Allowed choices are ([\s\S]*)\.$/.exec(reason);
  if (choices) return `${what}: expected one of ${choices[1]}, got ${JSON.stringify(value)}`;
  return reason.startsWith(`${what}:`) ? reason : `${what}: ${reason} (got ${JSON.stringify(value)})`;
}

function findOption(cmd: Command, flags: string): Option | undefined {
  return cmd.options.find((o) => o.flags === flags);
}

/** `-o, --out <dir>` → `--out`: the spelling users type and our other errors use. */
function longFlag(flags: string): string {
  return /--[\w-]+/.exec(flags)?.[0] ?? flags.split(/[ ,]/)[0];
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
