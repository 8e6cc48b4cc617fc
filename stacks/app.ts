import { App } from 'aws-cdk-lib';
import { ConfigurationError } from '../src/errors';
import { loadConfig } from './config';
import { addCordonStacks } from './cordon-app';

/**
 * The CDK app (`npx cdk synth|deploy`, see cdk.json and docs/deploy.md). A bad
 * configuration stops here with every problem listed and exit code 2.
 */
const app = new App();
try {
  addCordonStacks(app, loadConfig({ context: app.node.getAllContext() }));
} catch (err) {
  if (!(err instanceof ConfigurationError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
app.synth();
