// The lease: mutual exclusion of the writers of one distribution configuration. Image Builder has no conditional
// write, so every writer of this library (patch, S3 export, the undo on delete), in whichever stack or Region it runs,
// takes the configuration's lease before it reads the configuration and releases it after its write. docs/sharing.md
// explains the choice (an SSM parameter, created with Overwrite false) and what a crashed holder costs.
//
// The lease is an SSM parameter in the configuration's account and Region, named after the configuration, whose value
// says who holds it and until when. Taking it is PutParameter with Overwrite false: SSM creates a parameter at most
// once (ParameterAlreadyExists for everyone else). Releasing it is DeleteParameter. A lease whose holder crashed
// expires: its holder makes no call that could end after the expiry (the calls' credentials and retries stop before
// it), and others take it over only once the expiry plus a clock-skew margin has passed. Taking over must itself be
// exclusive (SSM has no conditional overwrite or delete): the right to replace the lease held under nonce N is the
// lease `<name>.<N>`, taken with the same protocol, so a crash during a takeover is recovered from the same way.
import { randomBytes } from 'crypto';
import { requestTimeoutMs } from './aws-request';
import * as clients from './clients';
import { call } from './errors';
import { backoffDelay, Timing, withRealTiming } from './retry';
import { LEASE_PARAMETER_PREFIX } from '../src/private/handler-contract';

export { LEASE_PARAMETER_PREFIX };

/** How long a lease is valid: the longest a crashed writer can keep the others waiting (plus {@link CLOCK_SKEW_MS}). */
export const LEASE_TTL_MS = 180_000;
/**
 * Clocks of two Lambda functions (NTP-synchronised) differ by far less. A lease is taken over only this long after
 * its expiry, so its holder, which stops before the expiry by its own clock, has stopped by every other clock too.
 */
export const CLOCK_SKEW_MS = 10_000;
/** Takeovers of takeovers: each level means another writer crashed in the seconds a takeover takes. */
const MAX_TAKEOVER_DEPTH = 4;
const WAIT_BACKOFF = { baseDelayMs: 500, maxDelayMs: 5_000 };

/** What the lease parameter holds (JSON, readable in the console). */
export interface LeaseValue {
  /** Who holds it: the stack, the resource and the CloudFormation request. */
  readonly owner: string;
  /** Unique per acquisition: tells a lease from a later one of the same owner. */
  readonly nonce: string;
  /** ISO time after which the holder makes no more calls. */
  readonly expires: string;
}

/** The configuration's Region and name, from its ARN: the lease's place and name. */
export function leaseLocation(configurationArn: string): { region: string; name: string } {
  const m = /^arn:[^:]+:imagebuilder:([^:]+):[^:]*:distribution-configuration\/(.+)$/.exec(configurationArn);
  if (!m) throw new Error(`Cannot take the lease of ${configurationArn}: not a distribution configuration ARN`);
  return { region: m[1], name: `${LEASE_PARAMETER_PREFIX}/${m[2]}` };
}

/** Raised when a lease cannot be taken in time, or was held past its expiry. */
export class LeaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseError';
  }
}

interface Held {
  readonly name: string;
  readonly nonce: string;
  readonly expires: number;
}

interface Env extends Required<Timing> {
  readonly context: clients.CallContext;
  readonly region: string;
  readonly owner: string;
  readonly target: string;
}

/**
 * Runs `fn` while holding the lease of `configurationArn`. `fn` gets a CallContext whose requests are refused (a
 * LeaseError) once one could end after the lease's expiry, and whose retries stop before it; the lease is released
 * afterwards, whether `fn` succeeded or failed. Waits (with backoff) while another writer holds the lease, until the
 * context's deadline, with the context's clock and sleep (HandlerOptions.retry).
 */
export async function withLease<T>(
  context: clients.CallContext, configurationArn: string, owner: string, fn: (locked: clients.CallContext) => Promise<T>,
): Promise<T> {
  const { region, name } = leaseLocation(configurationArn);
  const env: Env = {
    context,
    region,
    owner,
    target: configurationArn,
    ...withRealTiming({ now: context.retry?.now, sleep: context.retry?.sleep, random: context.retry?.random }),
  };
  const held = await acquire(env, name, 0);
  let result: T;
  try {
    result = await fn(lockedContext(env, held));
  } catch (err) {
    await release(env, held).catch((releaseErr) => context.log(`Releasing lease ${held.name} failed: ${(releaseErr as Error)?.message}`, 'warn'));
    throw err;
  }
  await release(env, held);
  return result;
}

/**
 * `context`, with every request checked against the lease (each request asks for credentials, clients.ts): a request
 * that could end after the expiry is refused, so a holder that ran out of time cannot write after someone else took
 * over. Retries stop before the expiry, too, less the time the release needs.
 */
function lockedContext(env: Env, held: Held): clients.CallContext {
  const attemptMs = requestTimeoutMs();
  const end = held.expires - 2 * attemptMs;
  const deadline = env.context.deadline === undefined ? end : Math.min(env.context.deadline, end);
  return {
    ...env.context,
    deadline,
    credentials: async () => {
      if (env.now() + attemptMs > held.expires) {
        throw new LeaseError(`The lease ${held.name} on ${env.target} expires at ${new Date(held.expires).toISOString()}, before this `
          + 'request could end; stopping so as not to write after another writer takes the lease over');
      }
      return env.context.credentials();
    },
  };
}

const named = (...names: string[]) => (err: unknown) => names.includes((err as Error)?.name);
const notFound = named('ParameterNotFound');

function ssm(env: Env): clients.Ssm {
  return clients.ssm(env.context, env.region);
}

async function get(env: Env, name: string): Promise<{ value?: LeaseValue; raw: string } | undefined> {
  try {
    const out = await call(env.context, 'ssm:GetParameter', name, () => ssm(env).getParameter({ Name: name }), notFound);
    const raw = out.Parameter?.Value ?? '';
    return { value: parseValue(raw), raw };
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

export function parseValue(raw: string): LeaseValue | undefined {
  try {
    const v = JSON.parse(raw);
    return typeof v?.owner === 'string' && typeof v?.nonce === 'string' && !isNaN(Date.parse(v?.expires)) ? v : undefined;
  } catch {
    return undefined;
  }
}

async function put(env: Env, name: string, value: LeaseValue, overwrite: boolean): Promise<void> {
  await call(env.context, 'ssm:PutParameter', name, () => ssm(env).putParameter({
    Name: name,
    Value: JSON.stringify(value),
    Type: 'String',
    Tier: 'Standard',
    Overwrite: overwrite,
    Description: 'Lease of an Image Builder distribution configuration (cdk-imagebuilder-distribution), held while one writer changes it.',
  }), named('ParameterAlreadyExists', 'TooManyUpdates'));
}

function fresh(env: Env): LeaseValue {
  return { owner: env.owner, nonce: randomBytes(8).toString('hex'), expires: new Date(env.now() + LEASE_TTL_MS).toISOString() };
}

const heldOf = (name: string, v: LeaseValue): Held => ({ name, nonce: v.nonce, expires: Date.parse(v.expires) });

async function acquire(env: Env, name: string, depth: number): Promise<Held> {
  for (let attempt = 1; ; attempt++) {
    const mine = fresh(env);
    try {
      await put(env, name, mine, false);
      return heldOf(name, mine);
    } catch (err) {
      if (!named('ParameterAlreadyExists', 'TooManyUpdates')(err)) throw err;
    }
    const current = await get(env, name);
    if (!current) continue; // released in between: try again at once
    // A value this handler cannot read is treated as a lease that has long expired.
    const expires = current.value ? Date.parse(current.value.expires) : 0;
    if (env.now() > expires + CLOCK_SKEW_MS) {
      const taken = await takeOver(env, name, current.value, current.raw, depth);
      if (taken) return taken;
      continue;
    }
    const delay = Math.max(50, backoffDelay(attempt, WAIT_BACKOFF, env.random));
    const deadline = env.context.deadline;
    if (deadline !== undefined && env.now() + delay + 2 * requestTimeoutMs() > deadline) {
      throw new LeaseError(`${env.target} is being changed by another writer (${current.value?.owner ?? 'unknown'}), which holds the `
        + `lease ${name} until ${current.value?.expires ?? 'unknown'}; no time left to wait for it. Deploy again when it is done`);
    }
    await env.sleep(delay);
  }
}

/**
 * Replaces the expired lease `stale` (whose text is `raw`) with ours, holding the exclusive right to replace it: the
 * lease `<name>.<nonce>`. Undefined when someone else replaced or released it first.
 */
async function takeOver(env: Env, name: string, stale: LeaseValue | undefined, raw: string, depth: number): Promise<Held | undefined> {
  if (depth >= MAX_TAKEOVER_DEPTH) {
    throw new LeaseError(`Cannot take over the expired lease ${name} on ${env.target}: ${depth} takeovers in a row were abandoned`);
  }
  const staleId = stale?.nonce ?? 'unreadable';
  const right = await acquire(env, `${name}.${staleId}`, depth + 1);
  try {
    const again = await get(env, name);
    if (!again || again.raw !== raw) return undefined;
    env.context.log(`Taking over the lease ${name} on ${env.target}: ${stale?.owner ?? 'its holder'} let it expire at ${stale?.expires ?? '?'}`, 'warn');
    const mine = fresh(env);
    await put(env, name, mine, true);
    return heldOf(name, mine);
  } finally {
    await release(env, right);
  }
}

/** Deletes the lease if it is still ours and the delete ends before its expiry; else leaves it to expire. */
async function release(env: Env, held: Held): Promise<void> {
  const attemptMs = requestTimeoutMs();
  const current = await get(env, held.name);
  if (current?.value?.nonce !== held.nonce) {
    env.context.log(`Lease ${held.name} on ${env.target} is no longer ours (${current ? `held by ${current.value?.owner}` : 'released'}); not releasing it`, 'warn');
    return;
  }
  if (env.now() + attemptMs > held.expires) {
    env.context.log(`Lease ${held.name} on ${env.target} expires before a release could end; leaving it to expire`, 'warn');
    return;
  }
  try {
    await call(env.context, 'ssm:DeleteParameter', held.name, () => ssm(env).deleteParameter({ Name: held.name }), notFound);
  } catch (err) {
    if (!notFound(err)) throw err;
  }
}

