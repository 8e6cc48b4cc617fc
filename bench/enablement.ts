/**
 * Benchmark 3, enablement (placeholder until `cordon enable` lands).
 */
import type { LocalAws } from '../src/emulator/local-aws';
import type { FaultProxy } from './faults';

/** Runs the enablement benchmark. */
export async function runEnablement(options: { readonly accounts: number; readonly regions: number; readonly proxy: FaultProxy; readonly local: LocalAws; readonly progress: (line: string) => void }): Promise<Record<string, unknown>> {
  return { status: 'pending', reason: `the enable command is not ready yet (asked for ${options.accounts} accounts × ${options.regions} regions)` };
}
