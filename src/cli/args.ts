import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigurationError } from '../errors';

/** `node:util` parseArgs in strict mode, with its errors turned into ConfigurationError (exit 2). */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new ConfigurationError(`${command}: ${(err as Error).message}`, { cause: err });
  }
}
