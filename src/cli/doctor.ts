import { CloudFormationClient, paginateListStackInstances, type CallAs } from '@aws-sdk/client-cloudformation';
import { paginateDescribeActionTargets, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

import { ACTIONS } from '../actions/registry';
import { requireCallerCredentials } from '../aws/caller-credentials';
import { stackOutputs } from '../aws/stack-outputs';
import { MEMBER_ROLE_STACK_SET_NAME, RESPONDER_STACK_NAME } from '../config/defaults';
import { responderSettings } from '../config/settings';
import { diagnose, doctorExitCode, type DoctorDeps, type DoctorSettings, type StackInstance } from '../doctor/doctor';
import { formatDoctor } from '../doctor/format';
import { ConfigurationError, describeError } from '../errors';
import { buildOrgClients, type OrgClientSet } from '../org/clients';
import { surveyCoverage, type CoverageReport } from '../org/coverage';
import { DEFAULT_ADMIN_ROLE_NAME, validateCoverageSettings } from '../org/settings';
import { readSecurityHubEditions } from '../securityhub/detect';
import { customActions } from '../runbooks/custom-actions';
import { loadRunbooks } from '../runbooks/load';
import { DOCTOR_COMMAND } from './commands';
import type { CliIo } from './io';
import { commandHelp, parseCommand, withEnv } from './options';

/** `--sample` accepts 1 to this many accounts. */
const MAX_SAMPLE = 100_000;
const CALL_AS: readonly CallAs[] = ['DELEGATED_ADMIN', 'SELF'];

/** `cordon doctor`: argument parsing and printing; the checks are in src/doctor. */
export async function runDoctor(argv: string[], io: CliIo): Promise<number> {
  let settings: DoctorSettings;
  let coverageSettings: ReturnType<typeof validateCoverageSettings>;
  let options: { stack: string; callAs: CallAs; json: boolean; externalId: string | undefined; region: string };
  try {
    const parsed = parseCommand(DOCTOR_COMMAND, argv);
    if (parsed.help) {
      io.stdout.write(`${commandHelp(DOCTOR_COMMAND)}\n`);
      return 0;
    }
    const given = withEnv(DOCTOR_COMMAND, parsed, io.env);
    coverageSettings = validateCoverageSettings({ regions: given.regions });
    const responder = responderSettings(io.env, { roleName: given.roleName?.value, runbooksDir: given.runbooksDir?.value });
    const region = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    if (!region) throw new ConfigurationError('doctor: AWS_REGION is not set (the region the responder stack is deployed in)');
    const callAs = parsed.options.callAs ?? 'DELEGATED_ADMIN';
    if (!(CALL_AS as readonly string[]).includes(callAs))
      throw new ConfigurationError(`doctor: --call-as "${callAs}" must be ${CALL_AS.join(' or ')}`);
    settings = {
      stackSetName: parsed.options.stackSet ?? MEMBER_ROLE_STACK_SET_NAME,
      roleName: responder.roleName,
      sample: sampleOf(parsed.options.sample),
      homeRegion: region,
      expectedActionIds: customActions(loadRunbooks(responder.runbooksDir, ACTIONS)).map((a) => a.id),
      concurrency: coverageSettings.concurrency,
    };
    options = {
      stack: parsed.options.stack ?? RESPONDER_STACK_NAME,
      callAs: callAs as CallAs,
      json: parsed.options.json,
      externalId: responder.externalId,
      region,
    };
    await requireCallerCredentials();
  } catch (err) {
    io.stderr.write(`cordon doctor: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  const clients = buildOrgClients({ adminAccountId: undefined, adminRoleName: DEFAULT_ADMIN_ROLE_NAME, concurrency: settings.concurrency });
  try {
    const checks = await diagnose(settings, sdkDeps(clients, { ...options, coverageSettings, settings }));
    if (options.json) for (const c of checks) io.stdout.write(`${JSON.stringify(c)}\n`);
    else io.stdout.write(formatDoctor(checks));
    return doctorExitCode(checks);
  } catch (err) {
    io.stderr.write(`cordon doctor: ${describeError(err)}\n`);
    return 1;
  } finally {
    clients.close();
  }
}

function sampleOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= MAX_SAMPLE))
    throw new ConfigurationError(`doctor: --sample "${text}" must be a whole number from 1 to ${MAX_SAMPLE}`);
  return n;
}

/** The doctor's reads over the SDK, with the caller's credentials. */
function sdkDeps(
  clients: OrgClientSet,
  o: {
    stack: string;
    callAs: CallAs;
    externalId: string | undefined;
    region: string;
    coverageSettings: ReturnType<typeof validateCoverageSettings>;
    settings: DoctorSettings;
  },
): DoctorDeps {
  let report: Promise<CoverageReport> | undefined;
  const coverage = (): Promise<CoverageReport> => (report ??= surveyCoverage(o.coverageSettings, { clients, callerRegion: o.region }));
  return {
    coverage,
    async stackInstances(): Promise<StackInstance[]> {
      const instances: StackInstance[] = [];
      const cfn = clients.home(CloudFormationClient, o.region);
      for await (const page of paginateListStackInstances({ client: cfn }, { StackSetName: o.settings.stackSetName, CallAs: o.callAs })) {
        for (const s of page.Summaries ?? [])
          instances.push({
            account: s.Account ?? '',
            region: s.Region ?? '',
            status: s.Status ?? 'unknown',
            detailedStatus: s.StackInstanceStatus?.DetailedStatus,
            reason: s.StatusReason,
          });
      }
      return instances;
    },
    async assumeMemberRole(accountId: string): Promise<void> {
      const { partition } = await coverage();
      await clients.home(STSClient, o.region).send(
        new AssumeRoleCommand({
          RoleArn: `arn:${partition}:iam::${accountId}:role/${o.settings.roleName}`,
          RoleSessionName: 'cordon-doctor',
          ExternalId: o.externalId,
          DurationSeconds: 900,
        }),
      );
    },
    securityHub: (region) => readSecurityHubEditions(clients.home(SecurityHubClient, region)),
    async actionTargets(region: string): Promise<ReadonlySet<string>> {
      const ids = new Set<string>();
      for await (const page of paginateDescribeActionTargets({ client: clients.home(SecurityHubClient, region) }, {}))
        for (const t of page.ActionTargets ?? []) if (t.ActionTargetArn) ids.add(t.ActionTargetArn.split('/').pop() as string);
      return ids;
    },
    stackOutputs: () => stackOutputs(o.stack, o.region),
    async queueDepth(queueUrl: string): Promise<number> {
      const sqs = clients.home(SQSClient, o.region);
      // The queue's URL as SQS gives it to this client (its endpoint: AWS_ENDPOINT_URL_SQS, FIPS…), from the stack output's name and owner.
      const [owner, name] = new URL(queueUrl).pathname.split('/').filter(Boolean);
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: owner }));
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const a = out.Attributes ?? {};
      return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
    },
  };
}
