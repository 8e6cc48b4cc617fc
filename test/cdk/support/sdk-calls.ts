import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Reads cordon's source code and lists every AWS call it makes, as the IAM
 * action that authorizes it: each `new XxxCommand(…)` and `paginateXxx(…)`
 * imported from an `@aws-sdk/client-*` package, plus the `ec2:CreateTags`
 * that a `TagSpecifications` parameter implies. This is what the IAM policies
 * are checked against, so a call added to the code without its permission
 * fails the CDK tests instead of failing with AccessDenied in production.
 */

/** One AWS call found in the source. */
export interface SdkCall {
  /** Path relative to the repository root. */
  readonly file: string;
  readonly line: number;
  /** The IAM action that authorizes the call (`ec2:CreateSnapshot`). */
  readonly iamAction: string;
  /** What the code names (`CreateSnapshotCommand`, `paginateQuery`, or `TagSpecifications`). */
  readonly via: string;
  /** Whether the call is inside an `undo: { … }` property (an action's release). */
  readonly inUndo: boolean;
}

/** SDK package → IAM service prefix. A package missing here fails the scan with its name. */
export const IAM_PREFIX: Readonly<Record<string, string>> = {
  '@aws-sdk/client-account': 'account',
  '@aws-sdk/client-cloudformation': 'cloudformation',
  '@aws-sdk/client-auto-scaling': 'autoscaling',
  '@aws-sdk/client-backup': 'backup',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-eks': 'eks',
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-guardduty': 'guardduty',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-organizations': 'organizations',
  '@aws-sdk/client-rds': 'rds',
  '@aws-sdk/client-route53resolver': 'route53resolver',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-securityhub': 'securityhub',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-sts': 'sts',
};

/**
 * SDK operations whose IAM action has another name (S3's bucket-level Block Public Access, ListBuckets; Security Hub's
 * BatchUpdateFindingsV2, authorized as securityhub:BatchUpdateFindings, as its API reference says; DynamoDB transactions).
 */
export const IAM_ACTION_RENAMES: Readonly<Record<string, string>> = {
  'securityhub:BatchUpdateFindingsV2': 'securityhub:BatchUpdateFindings',
  's3:ListBuckets': 's3:ListAllMyBuckets',
  's3:GetPublicAccessBlock': 's3:GetBucketPublicAccessBlock',
  's3:PutPublicAccessBlock': 's3:PutBucketPublicAccessBlock',
  's3:DeletePublicAccessBlock': 's3:DeleteBucketPublicAccessBlock',
  // Authorized item by item (DynamoDB Developer Guide, "Using IAM with DynamoDB transactions"): cordon's transaction puts
  // entries (PutItem, granted for leases too) and updates the circuit ledger's version (UpdateItem).
  'dynamodb:TransactWriteItems': 'dynamodb:UpdateItem',
};

/**
 * Dependent actions: what IAM also checks when an operation is called, as the
 * Service Authorization Reference lists them ("Dependent actions" column).
 * AssociateFirewallRuleGroup: "Actions, resources, and condition keys for
 * Amazon Route 53 Resolver",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53resolver.html
 */
export const IAM_DEPENDENT_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'route53resolver:AssociateFirewallRuleGroup': ['ec2:DescribeVpcs'],
};

/** Calls in one file (not following imports). */
export function scanFile(file: string, root: string): SdkCall[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  // Local name → what it is: `import { CreateTagsCommand as Tag }` binds Tag to CreateTagsCommand.
  const imported = new Map<string, { readonly pkg: string; readonly name: string }>();
  // `import * as ec2 from '@aws-sdk/client-ec2'`: ec2.CreateTagsCommand.
  const namespaces = new Map<string, string>();
  for (const stmt of source.statements) {
    if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
    const bindings = stmt.importClause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) namespaces.set(bindings.name.text, stmt.moduleSpecifier.text);
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    for (const el of bindings.elements)
      imported.set(el.name.text, { pkg: stmt.moduleSpecifier.text, name: (el.propertyName ?? el.name).text });
  }
  /** What an expression names: an imported binding, or a member of an imported namespace. */
  const bindingOf = (expr: ts.Expression): { readonly pkg: string; readonly name: string } | undefined => {
    if (ts.isIdentifier(expr)) return imported.get(expr.text);
    if (ts.isPropertyAccessExpression(expr) && ts.isIdentifier(expr.expression)) {
      const pkg = namespaces.get(expr.expression.text);
      return pkg ? { pkg, name: expr.name.text } : undefined;
    }
    return undefined;
  };
  const rel = path.relative(root, file);
  const calls: SdkCall[] = [];
  const record = (node: ts.Node, operation: string, via: string, pkg: string): void => {
    const prefix = IAM_PREFIX[pkg];
    if (!prefix)
      throw new Error(`${rel}: ${via} comes from ${pkg}, which test/cdk/support/sdk-calls.ts does not map to an IAM service prefix`);
    const action = `${prefix}:${operation}`;
    const iamAction = IAM_ACTION_RENAMES[action] ?? action;
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    const inUndo = insideUndo(node);
    calls.push({ file: rel, line, iamAction, via, inUndo });
    for (const dependent of IAM_DEPENDENT_ACTIONS[iamAction] ?? [])
      calls.push({ file: rel, line, iamAction: dependent, via: `${via} (dependent action)`, inUndo });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node)) {
      const binding = bindingOf(node.expression);
      const name = binding?.name ?? '';
      const pkg = binding?.pkg;
      if (pkg?.startsWith('@aws-sdk/client-') && name.endsWith('Command')) {
        record(node, name.slice(0, -'Command'.length), name, pkg);
        const arg = node.arguments?.[0];
        const given = (param: string): boolean =>
          !!arg &&
          ts.isObjectLiteralExpression(arg) &&
          arg.properties.some((p) => p.name && ts.isIdentifier(p.name) && p.name.text === param);
        if (given('TagSpecifications')) record(node, 'CreateTags', `${name} TagSpecifications`, pkg);
        // RDS tags what a Create call makes with rds:AddTagsToResource (RDS User Guide, "Tagging Amazon RDS resources").
        if (pkg === '@aws-sdk/client-rds' && name.startsWith('Create') && (given('Tags') || arg?.getText().includes('Tags')))
          record(node, 'AddTagsToResource', `${name} Tags`, pkg);
      }
    }
    if (ts.isCallExpression(node)) {
      const binding = bindingOf(node.expression);
      const name = binding?.name ?? '';
      const pkg = binding?.pkg;
      if (pkg?.startsWith('@aws-sdk/client-') && /^paginate[A-Z]/.test(name)) record(node, name.slice('paginate'.length), name, pkg);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return calls;
}

/** The repository-relative source files `entry` imports, directly or not (value imports only), `entry` included. */
export function reachableFiles(entry: string): string[] {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    for (const stmt of source.statements) {
      if (
        !(ts.isImportDeclaration(stmt) || ts.isExportDeclaration(stmt)) ||
        !stmt.moduleSpecifier ||
        !ts.isStringLiteral(stmt.moduleSpecifier)
      )
        continue;
      const spec = stmt.moduleSpecifier.text;
      if (!spec.startsWith('.')) continue;
      if (ts.isImportDeclaration(stmt) && stmt.importClause?.isTypeOnly) continue;
      if (ts.isExportDeclaration(stmt) && stmt.isTypeOnly) continue;
      const resolved = resolveModule(path.resolve(path.dirname(file), spec));
      if (resolved) walk(resolved);
    }
  };
  walk(path.resolve(entry));
  return [...seen].sort();
}

function resolveModule(base: string): string | undefined {
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function insideUndo(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'undo') return true;
  }
  return false;
}
