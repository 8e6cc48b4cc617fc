/**
 * Each command's options, usage line and `--help`, declared once
 * (after aws-cdk's cli-config): an option is a setting of the table
 * (src/config/spec.ts: its flag, variable, default and summary come from
 * there) or the command's own (`--json`, `--finding`). Parsing is
 * `node:util` parseArgs in strict mode (./args.ts).
 */
import { fromEnv, type RawSetting } from '../config/read';
import type { RuntimeSetting } from '../config/spec';
import { ConfigurationError } from '../errors';
import { parseFlags } from './args';

/** An option that is a setting of the table. */
export interface SettingOption {
  readonly setting: RuntimeSetting<unknown>;
  /** The command's own words for it in `--help`. @default the setting's summary */
  readonly help?: string;
}

/** An option of the command alone. */
export interface CommandOption {
  readonly flag: `--${string}`;
  /** What the value is called in `--help` (`ID`); a switch has none. */
  readonly value?: string;
  /** May be given more than once. */
  readonly multiple?: boolean;
  /** Shown without brackets in the usage line (the command checks it). */
  readonly required?: boolean;
  readonly help: string;
}

/** A command's options, by the name the command reads them under, in usage order. */
export type Options = Readonly<Record<string, SettingOption | CommandOption>>;

/** A command: what `cordon help`, its usage line and its `--help` say, and the options it takes. */
export interface CommandSpec<O extends Options = Options> {
  /** `respond`, `runbooks explain`. */
  readonly name: string;
  /** One line for `cordon help`. */
  readonly summary: string;
  /** Positional arguments in the usage line (`[FILE|-]`); none: positionals are refused. */
  readonly positionals?: string;
  readonly options: O;
  /** Paragraphs between the usage line and the options. */
  readonly description?: string;
  /** The closing paragraph (exit codes). */
  readonly exit?: string;
}

/** Names of the options that are settings. */
type SettingKeys<O extends Options> = { [K in keyof O]: O[K] extends SettingOption ? K : never }[keyof O];

/** What an option of the command's own gives. */
type OwnValue<O> = O extends { readonly multiple: true } ? string[] : O extends { readonly value: string } ? string | undefined : boolean;

/** A parsed command line. */
export interface ParsedCommand<O extends Options> {
  /** `--help` or `-h` was given. */
  readonly help: boolean;
  readonly positionals: readonly string[];
  /** The settings given as flags, each with the flag it came from. */
  readonly settings: { readonly [K in SettingKeys<O>]?: RawSetting };
  /** The command's own options. */
  readonly options: { readonly [K in Exclude<keyof O, SettingKeys<O>>]: OwnValue<O[K]> };
}

/** Declares a command; its setting options must have flags. */
export function command<const O extends Options>(spec: CommandSpec<O>): CommandSpec<O> {
  for (const [name, option] of Object.entries(spec.options)) {
    if ('setting' in option && option.setting.flag === undefined)
      throw new Error(`${spec.name}: option ${name} is a setting without a flag`);
  }
  return spec;
}

/** Parses `argv` for `spec`: unknown flags, a value where none is expected, or a switch and its negation together are errors. */
export function parseCommand<O extends Options>(spec: CommandSpec<O>, argv: string[]): ParsedCommand<O> {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const option of Object.values(spec.options)) {
    const { name, value, negation } = flagOf(option);
    config[name.slice(2)] = {
      type: value === undefined ? 'boolean' : 'string',
      ...('multiple' in option && option.multiple ? { multiple: true } : {}),
    };
    if (negation !== undefined) config[negation.slice(2)] = { type: 'boolean' };
  }
  const { values, positionals } = parseFlags(spec.name, argv, config, spec.positionals !== undefined);
  const settings: Record<string, RawSetting> = {};
  const options: Record<string, string | boolean | string[] | undefined> = {};
  for (const [key, option] of Object.entries(spec.options)) {
    const { name, negation } = flagOf(option);
    const given = values[name.slice(2)];
    if (!('setting' in option)) {
      options[key] =
        option.value === undefined
          ? given === true
          : option.multiple
            ? ((given as string[] | undefined) ?? [])
            : (given as string | undefined);
      continue;
    }
    const negated = negation !== undefined && values[negation.slice(2)] === true;
    if (negated && given === true) throw new ConfigurationError(`${spec.name}: ${name} and ${negation} contradict each other`);
    if (negated) settings[key] = { value: 'false', source: negation };
    else if (typeof given === 'string') settings[key] = { value: given, source: name };
    else if (given === true) settings[key] = { value: 'true', source: name };
  }
  return {
    help: values.help === true,
    positionals,
    settings: settings as ParsedCommand<O>['settings'],
    options: options as ParsedCommand<O>['options'],
  };
}

/** The settings given as flags, and the others from their variables in `env` (flags win). */
export function withEnv<O extends Options>(
  spec: CommandSpec<O>,
  parsed: ParsedCommand<O>,
  env: NodeJS.ProcessEnv,
): ParsedCommand<O>['settings'] {
  const given: Partial<Record<string, RawSetting>> = parsed.settings;
  const settings: Record<string, RawSetting> = {};
  for (const [key, option] of Object.entries(spec.options)) {
    if (!('setting' in option)) continue;
    const raw = given[key] ?? fromEnv(option.setting, env);
    if (raw !== undefined) settings[key] = raw;
  }
  return settings as ParsedCommand<O>['settings'];
}

/** Width help text is wrapped to. */
const HELP_WIDTH_CHARS = 100;

/** The usage line: `npx cordon respond [FILE|-] [--dry-run] …`, without `usage: `. */
export function usageLine(spec: CommandSpec): string {
  const words = [`npx cordon ${spec.name}`, ...(spec.positionals ? [spec.positionals] : [])];
  for (const option of Object.values(spec.options)) {
    const { name, value, negation } = flagOf(option);
    const text = `${negation ? `${name}|${negation}` : name}${value ? ` ${value}` : ''}`;
    const required = 'setting' in option ? option.setting.required !== undefined : option.required === true;
    words.push(required ? text : `[${text}]`);
    if (!('setting' in option) && option.multiple) words.push(`[${text}…]`);
  }
  return words.join(' ');
}

/** `--help` of a command: usage, description, options, exit codes. */
export function commandHelp(spec: CommandSpec): string {
  const usage = wrap(usageLine(spec), HELP_WIDTH_CHARS - 'usage: '.length, ' '.repeat(`usage: npx cordon ${spec.name} `.length));
  return [`usage: ${usage}`, ...(spec.description ? [spec.description] : []), optionLines([spec]), ...(spec.exit ? [spec.exit] : [])]
    .filter((part) => part !== '')
    .join('\n\n');
}

/** `--help` of a command with subcommands (`runbooks`): their usage lines and summaries, then every option. */
export function groupHelp(subcommands: readonly CommandSpec[]): string {
  const width = Math.max(...subcommands.map((s) => lastWord(s.name).length));
  return [
    subcommands.map((s, i) => `${i === 0 ? 'usage: ' : '       '}${usageLine(s)}`).join('\n'),
    subcommands.map((s) => `${lastWord(s.name).padEnd(width)}  ${s.summary}`).join('\n'),
    optionLines(subcommands),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

/** One line (or more, wrapped) per distinct option of the commands. */
function optionLines(specs: readonly CommandSpec[]): string {
  const rows = new Map<string, string>();
  for (const option of specs.flatMap((s) => Object.values(s.options))) {
    const { name, value, negation } = flagOf(option);
    const flag = `${negation ? `${name}|${negation}` : name}${value ? ` ${value}` : ''}`;
    if (!rows.has(flag)) rows.set(flag, optionHelp(option));
  }
  const width = Math.max(0, ...[...rows.keys()].map((f) => f.length));
  return [...rows]
    .map(([flag, text]) => `  ${flag.padEnd(width)}  ${wrap(text, HELP_WIDTH_CHARS - width - 4, ' '.repeat(width + 4))}`)
    .join('\n');
}

/** What `--help` says of an option; a setting adds its variable and default. */
function optionHelp(option: SettingOption | CommandOption): string {
  if (!('setting' in option)) return option.help;
  const { setting } = option;
  // A summary may say which command it is for (`for \`coverage\`: …`); the command's own help need not.
  const text = (option.help ?? setting.summary).replace(/^for `[^`]+`: /, '').replace(/`/g, '');
  if (setting.flag?.value === undefined && setting.flag?.negation === undefined)
    return setting.env ? `${text} (or ${setting.env}=true)` : text;
  const notes = [setting.env, setting.required === undefined ? `default ${setting.defaultText}` : undefined].filter((n) => n !== undefined);
  return notes.length > 0 ? `${text} (${notes.join(', ')})` : text;
}

/** The flag of an option. */
function flagOf(option: SettingOption | CommandOption): { name: `--${string}`; value?: string; negation?: `--${string}` } {
  if ('setting' in option) {
    const flag = option.setting.flag;
    if (flag === undefined) throw new Error('a setting option needs a flag');
    return flag;
  }
  return { name: option.flag, value: option.value };
}

/** Words wrapped at `width`; continuation lines start with `indent`. */
function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

/** `explain` of `runbooks explain`. */
function lastWord(name: string): string {
  return name.split(' ').pop() ?? name;
}
