/**
 * The README's generated sections: Usage (every command's usage line, from
 * src/cli) and the configuration tables (from the settings table,
 * src/config/spec.ts). `npm run docs:settings` writes them;
 * test/unit/config/docs.test.ts fails when README.md is stale.
 */
import { usageLines } from '../src/cli/main';
import { configurationMarkdown, replaceGenerated } from '../src/config/docs';

/** `readme` with its generated sections brought up to date. */
export function renderReadme(readme: string): string {
  const usage = ['```sh', ...usageLines(), '```'].join('\n');
  return replaceGenerated(replaceGenerated(readme, 'usage', usage), 'settings', configurationMarkdown());
}
