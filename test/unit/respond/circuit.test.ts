import { allocate, CircuitBreaker, CircuitContendedError, circuitStatus, type CircuitCandidate } from '../../../src/respond/circuit';
import type { CircuitEntry, CircuitLedger, CircuitSnapshot, LeaseStore, VersionedCircuitLedger } from '../../../src/audit/store';
import { emitCircuitOpen } from '../../../src/handlers/responder';
import { createTelemetry, SERVICES } from '../../../src/handlers/telemetry';
import { responderSettings } from '../../../src/config/settings';

const limits = { perAccount: 2, perOrganization: 3, windowMinutes: 60 };
const now = new Date('2026-11-24T12:00:00Z');
const candidate = (accountId: string, resource: string, findingId = `f-${resource}`): CircuitCandidate => ({
  accountId,
  region: 'us-east-1',
  findingId,
  resource,
});
const contained = (accountId: string, resource: string, at: string): CircuitEntry => ({
  kind: 'containment',
  at,
  accountId,
  region: 'us-east-1',
  findingId: `f-${resource}`,
  resource,
});

describe('circuit breaker: allocate', () => {
  it('admits up to the account cap in input order and holds the rest with a circuit-open reason', () => {
    const out = allocate(
      [],
      [candidate('111111111111', 'i-1'), candidate('111111111111', 'i-2'), candidate('111111111111', 'i-3')],
      limits,
      now,
    );
    expect(out.verdicts.map((v) => v.admitted)).toEqual([true, true, false]);
    const held = out.verdicts[2];
    expect(held && !held.admitted && held.reason).toMatch(
      /^circuit-open: 2 resources of account 111111111111 contained automatically in the last 60 min \(limit 2\)/,
    );
    expect(out.entries.map((e) => `${e.kind}:${e.resource}`)).toEqual(['containment:i-1', 'containment:i-2', 'held:i-3']);
  });

  it('does not count a resource twice: duplicates and re-published findings about a contained resource are admitted', () => {
    const ledger = [contained('111111111111', 'i-1', '2026-11-24T11:30:00Z'), contained('111111111111', 'i-2', '2026-11-24T11:31:00Z')];
    const out = allocate(ledger, [candidate('111111111111', 'i-1', 'again'), candidate('111111111111', 'i-3')], limits, now);
    expect(out.verdicts.map((v) => v.admitted)).toEqual([true, false]);
    expect(out.entries.map((e) => e.kind)).toEqual(['held']);
  });

  it('applies the organization cap across accounts', () => {
    const out = allocate(
      [],
      [
        candidate('111111111111', 'i-1'),
        candidate('222222222222', 'i-2'),
        candidate('333333333333', 'i-3'),
        candidate('444444444444', 'i-4'),
      ],
      limits,
      now,
    );
    expect(out.verdicts.map((v) => v.admitted)).toEqual([true, true, true, false]);
    const held = out.verdicts[3];
    expect(held && !held.admitted && held.reason).toContain('across the organization');
  });

  it('resets after the window: containments older than the window no longer count', () => {
    const ledger = [contained('111111111111', 'i-1', '2026-11-24T10:59:59Z'), contained('111111111111', 'i-2', '2026-11-24T11:00:00Z')];
    const out = allocate(ledger, [candidate('111111111111', 'i-3'), candidate('111111111111', 'i-4')], limits, now);
    expect(out.verdicts.map((v) => v.admitted)).toEqual([true, false]);
  });
});

describe('circuit breaker: status', () => {
  it('lists open circuits first with the time they close, counts held findings, newest entries first', () => {
    const ledger: CircuitEntry[] = [
      contained('111111111111', 'i-1', '2026-11-24T11:10:00Z'),
      contained('111111111111', 'i-2', '2026-11-24T11:20:00Z'),
      { kind: 'held', at: '2026-11-24T11:25:00Z', accountId: '111111111111', region: 'us-east-1', findingId: 'f-3', resource: 'i-3' },
      contained('222222222222', 'i-9', '2026-11-24T11:40:00Z'),
    ];
    const status = circuitStatus(ledger, limits, now);
    expect(status.accounts).toEqual([
      { accountId: '111111111111', contained: 2, held: 1, open: true, closesAt: '2026-11-24T12:10:00.000Z' },
      { accountId: '222222222222', contained: 1, held: 0, open: false, closesAt: undefined },
    ]);
    expect(status.organization).toEqual({ contained: 3, open: true });
    expect(status.recent.map((e) => e.resource)).toEqual(['i-9', 'i-3', 'i-2', 'i-1']);
  });
});

describe('circuit breaker: settings and alarm', () => {
  it('reads the limits from the environment and names a bad value', () => {
    expect(
      responderSettings({ CORDON_CIRCUIT_ACCOUNT_LIMIT: '3', CORDON_CIRCUIT_ORG_LIMIT: '30', CORDON_CIRCUIT_WINDOW_MINUTES: '15' }).circuit,
    ).toEqual({ perAccount: 3, perOrganization: 30, windowMinutes: 15 });
    expect(responderSettings({}).circuit).toEqual({ perAccount: 5, perOrganization: 50, windowMinutes: 60 });
    expect(() => responderSettings({ CORDON_CIRCUIT_ACCOUNT_LIMIT: '0' })).toThrow(
      'CORDON_CIRCUIT_ACCOUNT_LIMIT: "0" must be a whole number from 1 to 1000000',
    );
    expect(() => responderSettings({ CORDON_CIRCUIT_WINDOW_MINUTES: 'hour' })).toThrow('CORDON_CIRCUIT_WINDOW_MINUTES: "hour"');
  });

  it('publishes cordon/CircuitOpenFindings (dimension service) through Powertools as an EMF record, and an error line per account', () => {
    // Prepare: Powertools' dev mode writes through the global console, which the test reads.
    process.env.POWERTOOLS_DEV = 'true';
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const lines: string[] = [];
    const spies = (['log', 'info', 'error', 'warn'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(String(args[0]))),
    );
    try {
      // Act
      emitCircuitOpen(
        [
          { accountId: '111111111111', findingId: 'a', reason: 'circuit-open: x' },
          { accountId: '111111111111', findingId: 'b', reason: 'circuit-open: x' },
        ],
        createTelemetry(SERVICES.responder),
      );
    } finally {
      for (const s of spies) s.mockRestore();
      delete process.env.POWERTOOLS_DEV;
      delete process.env.POWERTOOLS_METRICS_DISABLED;
    }

    // Assess
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const emf = records.find((r) => '_aws' in r);
    expect(emf).toMatchObject({
      _aws: {
        CloudWatchMetrics: [{ Namespace: 'cordon', Dimensions: [['service']], Metrics: [{ Name: 'CircuitOpenFindings', Unit: 'Count' }] }],
      },
      service: 'cordon-responder',
      CircuitOpenFindings: 2,
    });
    expect(records.filter((r) => r.alarm === 'circuit-open')).toEqual([
      expect.objectContaining({ level: 'ERROR', source: 'cordon-responder', accountId: '111111111111', findingIds: ['a', 'b'] }),
    ]);
  });
});

/**
 * A versioned ledger in memory (as DynamoDB's conditional write behaves): a
 * write lands only when the version is the one its decision read. `interlope`
 * is another invocation that writes between this breaker's read and its write.
 */
class VersionedLedger implements CircuitLedger, LeaseStore, VersionedCircuitLedger {
  public entries: CircuitEntry[] = [];
  public version = 0;
  public reads = 0;
  public writes = 0;
  /** `rivals`: writes another invocation lands just before each of this breaker's next writes (each of another resource). */
  public constructor(
    private interlope?: readonly CircuitEntry[],
    private rivals = 0,
  ) {}

  public async readCircuit(since: string): Promise<CircuitSnapshot> {
    this.reads += 1;
    const snapshot = { entries: this.entries.filter((e) => e.at >= since), version: this.version };
    if (this.interlope) {
      this.entries.push(...this.interlope);
      this.version += 1;
      this.interlope = undefined;
    }
    return snapshot;
  }

  public async recordCircuitIf(entries: readonly CircuitEntry[], version: number): Promise<boolean> {
    this.writes += 1;
    if (this.rivals > 0) {
      this.rivals -= 1;
      this.entries.push(contained('222222222222', `i-rival-${this.rivals}`, '2026-11-24T11:59:30Z'));
      this.version += 1;
    }
    if (version !== this.version) return false;
    this.entries.push(...entries);
    this.version += 1;
    return true;
  }

  public async circuitEntries(since: string): Promise<CircuitEntry[]> {
    return this.entries.filter((e) => e.at >= since);
  }

  public async recordCircuit(): Promise<void> {
    throw new Error('a versioned ledger is written conditionally only');
  }

  public async tryLease(): Promise<{ taken: true }> {
    throw new Error('a versioned ledger admits without a lease');
  }

  public async releaseLease(): Promise<void> {
    throw new Error('a versioned ledger admits without a lease');
  }
}

describe('circuit breaker: admission on a versioned ledger', () => {
  it('decides again when another invocation wrote between its read and its write, and never exceeds the cap', async () => {
    // Prepare: another invocation contains i-8 and i-9 of the account after this breaker read the (empty) ledger
    const ledger = new VersionedLedger([
      contained('111111111111', 'i-8', '2026-11-24T11:59:00Z'),
      contained('111111111111', 'i-9', '2026-11-24T11:59:00Z'),
    ]);
    const breaker = new CircuitBreaker(ledger, limits);

    // Act
    const verdicts = await breaker.admit([candidate('111111111111', 'i-1'), candidate('111111111111', 'i-2')], now, false);

    // Assess: read twice; the cap (2) was reached by the other invocation, so both are held and recorded as held
    expect(ledger.reads).toBe(2);
    expect(verdicts.map((v) => v.admitted)).toEqual([false, false]);
    expect(ledger.entries.map((e) => `${e.kind}:${e.resource}`)).toEqual(['containment:i-8', 'containment:i-9', 'held:i-1', 'held:i-2']);
    expect(ledger.version).toBe(2);
  });

  it('decides on the read started while the findings were screened, and writes once', async () => {
    // Prepare: one containment already in the window
    const ledger = new VersionedLedger();
    ledger.entries.push(contained('111111111111', 'i-8', '2026-11-24T11:59:00Z'));
    const breaker = new CircuitBreaker(ledger, limits);
    const early = breaker.read(now);

    // Act
    const verdicts = await breaker.admit(
      [candidate('111111111111', 'i-1'), candidate('111111111111', 'i-2')],
      now,
      false,
      undefined,
      early,
    );

    // Assess: one read (the early one), one admitted up to the cap, one held
    expect(ledger.reads).toBe(1);
    expect(verdicts.map((v) => v.admitted)).toEqual([true, false]);
    expect(ledger.version).toBe(1);
  });

  it('keeps deciding again while other invocations win the ledger (more times than writers in a burst), then admits', async () => {
    // Prepare: 25 other invocations write just before each of this breaker's writes; caps far away
    const ledger = new VersionedLedger(undefined, 25);
    const breaker = new CircuitBreaker(
      ledger,
      { ...limits, perAccount: 1000, perOrganization: 1000 },
      {},
      {
        budgetMs: 10_000,
        baseDelayMs: 1,
        maxDelayMs: 2,
      },
    );

    // Act
    const verdicts = await breaker.admit([candidate('111111111111', 'i-1')], now, false);

    // Assess: the 26th write lands; every rival's and this breaker's containment is in the ledger once
    expect(verdicts).toEqual([{ admitted: true }]);
    expect(ledger.writes).toBe(26);
    expect(ledger.entries.filter((e) => e.resource === 'i-1')).toHaveLength(1);
    expect(ledger.entries).toHaveLength(26);
  });

  it('gives up once its contention budget has passed (the responder then holds rather than act blind)', async () => {
    // Prepare: other invocations win every write
    const ledger = new VersionedLedger(undefined, Number.MAX_SAFE_INTEGER);
    const breaker = new CircuitBreaker(ledger, limits, {}, { budgetMs: 50, baseDelayMs: 5, maxDelayMs: 10 });

    // Act
    const outcome = await breaker.admit([candidate('111111111111', 'i-1')], now, false).catch((e: unknown) => e);

    // Assess: the error names the contention; nothing of this breaker's was recorded
    expect(outcome).toBeInstanceOf(CircuitContendedError);
    expect((outcome as Error).message).toMatch(/^the circuit breaker's ledger was written by other invocations \d+ times in a row/);
    expect(ledger.entries.filter((e) => e.resource === 'i-1')).toEqual([]);
  });
});
