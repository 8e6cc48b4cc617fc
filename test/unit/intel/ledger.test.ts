import { addReferences, emptyLedger, expire, LIST_QUOTAS, removeReferences, renderList } from '../../../src/intel/ledger';

const DAY_MS = 86_400_000;
const at = (day: number): string => new Date(Date.UTC(2026, 0, 1) + day * DAY_MS).toISOString();
const ip = (value: string) => ({ kind: 'ipv4' as const, value });
const ref = (id: string, day: number) => ({
  source: 'finding' as const,
  id,
  accountId: '111122223333',
  region: 'us-east-1',
  addedAt: at(day),
  ttlMs: 30 * DAY_MS,
});

describe('the ledger', () => {
  it('deduplicates: one entry per indicator, one reason per finding; a second delivery refreshes the expiry', () => {
    // Prepare / Act
    const a = addReferences(emptyLedger(), 'threat', [ip('198.51.100.7')], ref('f1', 0));
    const b = addReferences(a.ledger, 'threat', [ip('198.51.100.7')], ref('f2', 1));
    const c = addReferences(b.ledger, 'threat', [ip('198.51.100.7')], ref('f1', 2));

    // Assess
    expect([a, b, c].map((x) => x.changes[0]?.effect)).toEqual(['added', 'referenced', 'refreshed']);
    expect(c.ledger.entries['threat|198.51.100.7']?.refs.map((r) => [r.id, r.expiresAt])).toEqual([
      ['f1', at(32)],
      ['f2', at(31)],
    ]);
  });

  it('takes off only what a finding alone listed, and expires what nobody renewed', () => {
    // Prepare
    let ledger = addReferences(emptyLedger(), 'threat', [ip('198.51.100.7'), ip('198.51.100.8')], ref('f1', 0)).ledger;
    ledger = addReferences(ledger, 'threat', [ip('198.51.100.7')], ref('f2', 0)).ledger;

    // Act
    const released = removeReferences(ledger, (_e, r) => r.id === 'f1', at(1));

    // Assess
    expect(released.changes.map((c) => [c.indicator.value, c.effect])).toEqual([
      ['198.51.100.7', 'kept'],
      ['198.51.100.8', 'removed'],
    ]);
    expect(Object.keys(expire(released.ledger, at(31)).ledger.entries)).toEqual([]);
    expect(Object.keys(expire(released.ledger, at(29)).ledger.entries)).toEqual(['threat|198.51.100.7']);
  });

  it('renders TXT lists GuardDuty accepts: IPv4 and domains on entity lists, IPv4 only on IP lists, no IPv6, within the quota', () => {
    // Prepare
    let ledger = addReferences(
      emptyLedger(),
      'threat',
      [ip('198.51.100.7'), { kind: 'domain', value: 'evil.example' }, { kind: 'ipv6', value: '2001:db8::7' }],
      ref('f1', 0),
    ).ledger;
    const many = Array.from({ length: LIST_QUOTAS.entity.threat + 1 }, (_, i) => ip(`198.18.${Math.floor(i / 250)}.${i % 250}`));
    ledger = addReferences(ledger, 'threat', many, ref('f2', 1)).ledger;

    // Act
    const entity = renderList(ledger, 'threat', 'entity', at(2));
    const ipList = renderList(ledger, 'threat', 'ip', at(2));

    // Assess: the newest win the quota; what is left out says why
    expect(entity.entries).toHaveLength(LIST_QUOTAS.entity.threat);
    expect(entity.omitted.map((o) => o.reason)).toEqual(
      expect.arrayContaining([
        'GuardDuty lists accept IPv4 only',
        `past GuardDuty's quota of ${LIST_QUOTAS.entity.threat} entries per entity list`,
      ]),
    );
    expect(entity.entries).not.toContain('198.51.100.7');
    expect(ipList.entries).toContain('198.51.100.7');
    expect(ipList.entries).not.toContain('evil.example');
    expect(ipList.text.endsWith('\n')).toBe(true);
    expect(renderList(emptyLedger(), 'trusted', 'entity', at(0)).text).toBe('');
  });
});
