/** Where a CLI command reads its environment and writes its output (injected so tests can capture it). */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  /** Standard input, when a command may read it (`respond` refuses to wait on a terminal). @default none: not a terminal */
  readonly stdin?: { readonly isTTY?: boolean };
}
