import { Command, Option } from 'commander';
import { AlbertError } from '../errors.js';
import { TASKS } from '../tasks/task-registry.js';
import type { TaskDefinition } from '../tasks/task.js';
import { addJobFlags, floatArg, intArg } from './job-flags.js';
import { runCliJob } from './run-cli-job.js';

/** One `albert <task>` command per task of the registry. */
export function taskCommands(): Command[] {
  return TASKS.map(taskCommand);
}

/** `albert <task> <input> --out DIR`: the job's flags, the task's own, and its example. */
export function taskCommand(task: TaskDefinition): Command {
  const cmd = new Command(task.name).description(task.description).argument('<input>', 'input file (.gz too), folder, quoted glob, or - for stdin');
  addJobFlags(cmd, task.defaultModel);
  addTaskFlags(cmd, task);
  cmd.addHelpText('after', `\nExample:\n${task.example}\n`);
  cmd.action(async (input: string, _o: unknown, self: Command) => runCliJob(task, input, self));
  return cmd;
}

/** The task's own flags, from its option specs (also what `albert submit <task>` takes). */
export function addTaskFlags(cmd: Command, task: TaskDefinition): Command {
  for (const [key, spec] of Object.entries(task.options)) {
    const opt = new Option(spec.flag, spec.help);
    const flag = spec.flag.split(' ')[0];
    if (spec.choices) opt.choices([...spec.choices]);
    else if (spec.parse === 'int') opt.argParser(intArg(flag));
    else if (spec.parse === 'float') opt.argParser(floatArg(flag));
    // The flag's attribute is the key a config file and the library use: they must agree.
    if (opt.attributeName() !== key) throw new AlbertError('ALB_INTERNAL', `task ${task.name}: option ${key} has flag ${spec.flag}, which commander names ${opt.attributeName()}`);
    cmd.addOption(opt);
  }
  return cmd;
}
