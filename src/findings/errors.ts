import { ConfigurationError } from '../aws/errors';

/** The input is not something cordon can read; the message names the item and the field. */
export class InputError extends ConfigurationError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}
