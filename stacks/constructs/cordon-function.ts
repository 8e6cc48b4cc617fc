import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Architecture, type CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { lambdaBundling, REPO_ROOT } from '../shared';

/** Props of one of cordon's Lambdas: what differs between them; the rest is fixed here. */
export interface CordonFunctionProps extends Omit<
  NodejsFunctionProps,
  'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'runtime' | 'architecture' | 'bundling'
> {
  /** The handler module, relative to the repository root (its export `handler` is the entry point). */
  readonly handlerFile: string;
  /** Extra esbuild options (command hooks) on top of cordon's shared ones. @default none */
  readonly bundling?: Partial<BundlingOptions>;
}

/**
 * One of cordon's Lambdas: `handler` of `handlerFile`, nodejs22.x on arm64,
 * 512 MB unless told otherwise, bundled by the repository's own esbuild with
 * the versions package-lock.json pins, stack traces through the source map;
 * plus the cfn-lint and cdk-nag notes every such function needs.
 */
export function createCordonFunction(scope: Construct, id: string, props: CordonFunctionProps): NodejsFunction {
  const { handlerFile, bundling, environment, ...rest } = props;
  const fn = new NodejsFunction(scope, id, {
    memorySize: 512,
    ...rest,
    entry: path.join(REPO_ROOT, handlerFile),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    // Stack traces through the bundle's source map.
    environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
    bundling: lambdaBundling(bundling),
  });
  // CDK makes the function depend on its role explicitly, besides the GetAtt of its ARN:
  // cfn-lint's W3005 (redundant DependsOn) is expected on cordon's Lambdas only.
  (fn.node.defaultChild as CfnFunction).addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'nodejs22.x is the runtime cordon is built, bundled (esbuild target node22) and tested for, as the deployment contract requires; it is supported by Lambda, and moving runtime is a deliberate, tested change.',
  });
  return fn;
}
