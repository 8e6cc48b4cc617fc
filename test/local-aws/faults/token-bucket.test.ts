import { TokenBucket } from '../../../local-aws/faults/token-bucket';
import { peakConcurrency, sequentialChain } from '../../../local-aws/faults/timeline';
import { drawFor, mulberry32, shuffled } from '../../../local-aws/faults/prng';

describe('TokenBucket', () => {
  let nowMs = 0;
  const clock = (): number => nowMs;
  beforeEach(() => {
    nowMs = 0;
  });

  it('allows a burst of its capacity, then throttles', () => {
    // Prepare: EC2 mutating actions, bucket 50, refill 5/s
    const bucket = new TokenBucket(50, 5, clock);

    // Act
    const burst = Array.from({ length: 60 }, () => bucket.take());

    // Assess
    expect(burst.filter(Boolean)).toHaveLength(50);
    expect(burst.slice(50).every((ok) => !ok)).toBe(true);
  });

  it('refills at its rate and sustains it', () => {
    const bucket = new TokenBucket(50, 5, clock);
    for (let i = 0; i < 50; i += 1) bucket.take();

    nowMs += 1_000;
    const afterOneSecond = Array.from({ length: 10 }, () => bucket.take()).filter(Boolean).length;
    // 10 seconds at 5 requests per second: all allowed, none spare.
    let sustained = 0;
    for (let s = 0; s < 10; s += 1) {
      nowMs += 1_000;
      for (let i = 0; i < 5; i += 1) if (bucket.take()) sustained += 1;
    }

    expect(afterOneSecond).toBe(5);
    expect(sustained).toBe(50);
    expect(bucket.available()).toBeCloseTo(0, 5);
  });

  it('never holds more than its capacity (Security Hub BatchUpdateFindings: 10/s, burst 30)', () => {
    const bucket = new TokenBucket(30, 10, clock);
    nowMs += 60_000;
    expect(bucket.available()).toBe(30);
    expect(Array.from({ length: 31 }, () => bucket.take()).filter(Boolean)).toHaveLength(30);
  });

  it('refills fractions of a token between whole seconds', () => {
    const bucket = new TokenBucket(1, 2, clock);
    expect(bucket.take()).toBe(true);
    nowMs += 400;
    expect(bucket.take()).toBe(false);
    nowMs += 100;
    expect(bucket.take()).toBe(true);
  });

  it('rejects a bucket that could never admit a request, naming what was expected', () => {
    expect(() => new TokenBucket(0, 5, clock)).toThrow('capacity must be a number of tokens >= 1, got 0');
    expect(() => new TokenBucket(10, 0, clock)).toThrow('refillPerSecond must be > 0, got 0');
  });
});

describe('sequentialChain', () => {
  const span = (startMs: number, endMs: number, label: string) => ({ startMs, endMs, label });

  it('counts calls made one after another, and parallel calls once', () => {
    // Prepare: AssumeRole, then two describes in parallel, then a write
    const calls = [
      span(0, 50, 'AssumeRole'),
      span(51, 101, 'DescribeInstances'),
      span(52, 100, 'DescribeSnapshots'),
      span(101, 151, 'CreateSnapshot'),
    ];

    // Act
    const chain = sequentialChain(calls);

    // Assess
    expect(chain.map((c) => c.label)).toEqual(['AssumeRole', 'DescribeSnapshots', 'CreateSnapshot']);
    expect(peakConcurrency(calls)).toBe(2);
  });

  it('treats calls that touch (one ends as the next starts) as sequential', () => {
    expect(sequentialChain([span(0, 10, 'a'), span(10, 20, 'b'), span(20, 30, 'c')])).toHaveLength(3);
    expect(peakConcurrency([span(0, 10, 'a'), span(10, 20, 'b')])).toBe(1);
  });

  it('is empty for no calls', () => {
    expect(sequentialChain([])).toEqual([]);
    expect(peakConcurrency([])).toBe(0);
  });
});

describe('seeded randomness', () => {
  it('repeats the same sequence for the same seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const seqA = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(shuffled([1, 2, 3, 4, 5], mulberry32(7))).toEqual(shuffled([1, 2, 3, 4, 5], mulberry32(7)));
  });

  it('draws per request, independent of the order requests arrive in', () => {
    const draws = Array.from({ length: 2_000 }, (_, i) => drawFor(1, 'ec2', 'CreateSnapshot', String(i)));
    expect(drawFor(1, 'ec2', 'CreateSnapshot', '7')).toBe(draws[7]);
    // About 10% under 0.1: a 10% fault rate faults about 10% of calls.
    const under = draws.filter((d) => d < 0.1).length / draws.length;
    expect(under).toBeGreaterThan(0.08);
    expect(under).toBeLessThan(0.12);
  });
});
