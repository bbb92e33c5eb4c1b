// Resolution of target accounts from AWS Organizations: time and API calls per refresh, for generated organizations
// of realistic sizes, against the model-checked fake Organizations (test/lambda/server/organizations.ts) with a
// simulated per-request latency. Prints figures and ratios; asserts nothing.
// Run: npx ts-node --project test/tsconfig.json bench/organizations.ts
import * as clients from '../lambda/clients';
import { LAMBDA_CREDENTIALS } from '../lambda/clients';
import { onEvent } from '../lambda/index';
import { Organizations, resolveTargets } from '../lambda/organization-targets';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE, TargetAccountsQuery } from '../src/private/organization-contract';
import { setLambdaEnvironment } from '../test/lambda/lambda-environment';
import { LocalServer } from '../test/lambda/local-server';
import { DistributionConfigurations } from '../test/lambda/server/imagebuilder';
import { Organization, ROOT_ID } from '../test/lambda/server/organizations';
import { fullDistribution, STACK_ID } from '../test/lambda/server/patch-fixtures';
import { Parameters } from '../test/lambda/server/ssm';
import { Roles } from '../test/lambda/server/sts';

/** Organizations' answers take tens of milliseconds; the figure is an assumption, printed with the results. */
const LATENCY_MS = 40;
const SIZES = [
  { ous: 40, accounts: 300, depth: 3 },
  { ous: 120, accounts: 800, depth: 4 },
  { ous: 250, accounts: 1500, depth: 5 },
];

const query = (q: Partial<TargetAccountsQuery>): TargetAccountsQuery =>
  ({ accountIds: [], parents: [], recursive: true, organization: false, exclude: [], states: ['ACTIVE'], ...q });

async function measure(server: LocalServer, queries: TargetAccountsQuery[]): Promise<{ ms: number; calls: number; accounts: number }> {
  const org = new Organizations(LAMBDA_CREDENTIALS, async () => ({ accessKeyId: 'test', secretAccessKey: 'test' }), 'us-east-1', server.endpoint);
  const start = process.hrtime.bigint();
  const r = await resolveTargets(org, queries, true);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  org.destroy();
  return { ms, calls: r.calls, accounts: r.accountIds.length };
}

export async function main(): Promise<void> {
  process.env.AWS_REGION = 'us-east-1';
  process.stdout.write(`\nOrganizations resolution (fake Organizations, ${LATENCY_MS} ms per request, pages of 20):\n`);
  process.stdout.write('  OUs  accounts | whole org: ListAccounts          | root, recursive: ListChildren + ListAccountsForParent\n');
  for (const size of SIZES) {
    const server = await LocalServer.start();
    try {
      const org = new Organization(server);
      org.generate({ seed: 18, ...size });
      org.latencyMs = LATENCY_MS;
      const whole = await measure(server, [query({ organization: true })]);
      const tree = await measure(server, [query({ parents: [ROOT_ID] })]);
      process.stdout.write(`  ${String(size.ous).padStart(3)}  ${String(size.accounts).padStart(8)} | `
        + `${String(whole.calls).padStart(4)} calls ${whole.ms.toFixed(0).padStart(6)} ms ${String(whole.accounts).padStart(5)} ACTIVE | `
        + `${String(tree.calls).padStart(4)} calls ${tree.ms.toFixed(0).padStart(6)} ms (${(tree.calls / whole.calls).toFixed(1)}x the calls, `
        + `${(tree.ms / whole.ms).toFixed(1)}x the time)\n`);
    } finally {
      await server.close();
    }
  }
  await eventCalls();
  await roleCheckCost();
}

// The configuration, the resource's role and the reader role in the management account, in every measurement.
const CONFIG_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:distribution-configuration/golden';
const RESOURCE_ROLE = 'arn:aws:iam::123456789012:role/cdk-imagebuilder-distribution/c8abc/Targets/Role';
const READER_ROLE = 'arn:aws:iam::999999999999:role/cdk-imagebuilder-distribution-organizations-reader';

/** All calls of one refresh event (Update with a new ResolutionKey), by service, when the set did not change and when it did. */
async function eventCalls(): Promise<void> {
  const server = await LocalServer.start();
  try {
    const ib = new DistributionConfigurations(server);
    new Parameters(server);
    new Roles(server).add(RESOURCE_ROLE).add(READER_ROLE);
    const org = new Organization(server);
    const tree = org.generate({ seed: 18, ous: 120, accounts: 800, depth: 4 });
    // The top-level OU with the most accounts below it.
    const ou = tree.ous.filter((o) => tree.depth.get(o) === 1).sort((a, b) => org.accountsUnder(b).length - org.accountsUnder(a).length)[0];
    ib.put({ arn: CONFIG_ARN, name: 'golden', distributions: [fullDistribution('us-east-1'), fullDistribution('eu-west-1')] });
    setLambdaEnvironment(server, { ORGANIZATIONS_ENDPOINT: server.endpoint });
    clients.resetClients();
    const props = (key: string) => ({
      ServiceToken: 'token',
      DistributionConfigurationArn: CONFIG_ARN,
      BaselineParameterName: '/cdk-imagebuilder-distribution/baselines/bench',
      Patch: '{"distributions":[]}',
      Query: JSON.stringify([query({ parents: [ou] })]),
      Regions: '["us-east-1","eu-west-1"]',
      AllowEmpty: 'false',
      OrganizationsRoleArn: READER_ROLE,
      RoleArn: RESOURCE_ROLE,
      ResolutionKey: key,
    });
    let n = 0;
    const run = async (type: 'Create' | 'Update', key: string, old?: string) => {
      const before = server.calls.length;
      clients.resetClients(); // each refresh is a new invocation: no cached credentials
      await onEvent({
        RequestType: type,
        ServiceToken: 'token',
        ResponseURL: 'https://example/',
        StackId: STACK_ID,
        RequestId: `bench-${++n}`,
        LogicalResourceId: 'Targets',
        ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
        ResourceProperties: props(key),
        ...(type === 'Update' ? { PhysicalResourceId: 'x', OldResourceProperties: props(old!) } : {}),
      } as any);
      const byService: Record<string, number> = {};
      for (const c of server.calls.slice(before)) {
        const service = c.headers['x-amz-target'] ? String(c.headers['x-amz-target']).split('.')[0].replace(/V\d+$/, '').replace('Amazon', '')
          : c.body?.Action ? 'STS' : 'ImageBuilder';
        byService[service] = (byService[service] ?? 0) + 1;
      }
      return Object.entries(byService).map(([k, v]) => `${k} ${v}`).join(', ');
    };
    const accounts = org.accountsUnder(ou).length;
    const log = console.log;
    console.log = () => {}; // the handler's own log lines
    await run('Create', 'a');
    process.stdout.write(`\nOne refresh of an OU of ${accounts} ACTIVE accounts (nested; ${org.ous.size} OUs in the organization), two Regions:\n`);
    process.stdout.write(`  set unchanged: ${await run('Update', 'b', 'a')}\n`);
    org.addAccount(ou);
    process.stdout.write(`  one account joined: ${await run('Update', 'c', 'b')}\n`);
    console.log = log;
  } finally {
    clients.resetClients();
    await server.close();
  }
}

/** STS's answers take milliseconds to tens of them; the figure is an assumption, printed with the results. */
const STS_LATENCY_MS = 20;

/**
 * What the distribution role check adds to one refresh: one AssumeRole per resolved account (up to 8 at a time),
 * measured as the refresh's STS calls and wall time without and with the check (DistributionRoleCheck REPORT), for a
 * whole organization of a few hundred accounts, a tenth of which lack the role.
 */
async function roleCheckCost(): Promise<void> {
  process.stdout.write(`\nDistribution role check, one refresh of the whole organization (Organizations ${LATENCY_MS} ms, STS ${STS_LATENCY_MS} ms per request):\n`);
  process.stdout.write('  accounts | without the check     | with the check        | added\n');
  for (const accounts of [100, 300, 800]) {
    const server = await LocalServer.start();
    try {
      const ib = new DistributionConfigurations(server);
      new Parameters(server);
      const roles = new Roles(server).add(RESOURCE_ROLE).add(READER_ROLE);
      const org = new Organization(server);
      org.generate({ seed: 18, ous: 40, accounts, depth: 3 });
      org.latencyMs = LATENCY_MS;
      roles.latencyMs = STS_LATENCY_MS;
      const active = org.accountsUnder(ROOT_ID);
      active.filter((_, i) => i % 10 !== 0).forEach((a) => roles.add(`arn:aws:iam::${a}:role/EC2ImageBuilderDistributionCrossAccountRole`));
      ib.put({ arn: CONFIG_ARN, name: 'golden', distributions: [fullDistribution('us-east-1'), fullDistribution('eu-west-1')] });
      setLambdaEnvironment(server, { ORGANIZATIONS_ENDPOINT: server.endpoint });
      const props = (check: string | undefined) => ({
        ServiceToken: 'token',
        DistributionConfigurationArn: CONFIG_ARN,
        BaselineParameterName: '/cdk-imagebuilder-distribution/baselines/bench',
        Patch: '{"distributions":[]}',
        Query: JSON.stringify([query({ organization: true })]),
        Regions: '["us-east-1","eu-west-1"]',
        AllowEmpty: 'false',
        OrganizationsRoleArn: READER_ROLE,
        RoleArn: RESOURCE_ROLE,
        MetricDimension: 'bench',
        ...(check ? { DistributionRoleCheck: check } : {}),
      });
      let n = 0;
      const event = (type: string, check: string | undefined) => ({
        RequestType: type,
        ServiceToken: 'token',
        ResponseURL: 'https://example/',
        StackId: STACK_ID,
        RequestId: `check-${++n}`,
        LogicalResourceId: 'Targets',
        ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
        ResourceProperties: props(check),
        ...(type === 'Update' ? { PhysicalResourceId: 'x', OldResourceProperties: props(check), Refresh: true } : {}),
      }) as any;
      const log = console.log;
      console.log = () => {};
      const refresh = async (check: string | undefined) => {
        clients.resetClients(); // each refresh is a new invocation: no cached credentials
        const before = server.callsTo('AssumeRole').length;
        const start = process.hrtime.bigint();
        await onEvent(event('Update', check));
        return { ms: Number(process.hrtime.bigint() - start) / 1e6, sts: server.callsTo('AssumeRole').length - before };
      };
      try {
        await onEvent(event('Create', undefined));
        const without = await refresh(undefined);
        const withCheck = await refresh('REPORT');
        console.log = log;
        process.stdout.write(`  ${String(active.length).padStart(8)} | ${String(without.sts).padStart(3)} STS ${without.ms.toFixed(0).padStart(6)} ms     | `
          + `${String(withCheck.sts).padStart(4)} STS ${withCheck.ms.toFixed(0).padStart(6)} ms    | +${withCheck.sts - without.sts} calls, `
          + `${(withCheck.ms / without.ms).toFixed(1)}x the time\n`);
      } finally {
        console.log = log;
      }
    } finally {
      clients.resetClients();
      await server.close();
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
