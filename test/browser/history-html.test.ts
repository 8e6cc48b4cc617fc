import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { incidents } from '../../src/audit/history';
import { renderHistoryHtml } from '../../src/cli/history-html';
import { sampleAuditRecords } from '../support/audit-records';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing). */
const CHROMIUM = '/usr/bin/chromium';
/** Flags of a quiet, offline, throwaway browser. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium is there, or why the test cannot run: absent in CI is a failure, absent elsewhere a loud skip. */
function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is missing: the HTML report's browser test cannot run. Install it: apt-get install -y chromium (.ci/run does).`;
  if (process.env.CI) throw new Error(message);
  process.stderr.write(`\n!!! SKIPPED: ${message}\n\n`);
  return false;
}

/** `cordon history --html`: the page as a person sees it, in a real headless Chromium. */
describe('history HTML page in headless Chromium', () => {
  let work: string;
  let context: BrowserContext | undefined;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-history-html-'));
  });
  afterAll(async () => {
    await context?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('shows every incident and its timeline, fetches nothing, escapes what findings say, and filters', async () => {
    if (!chromiumAvailable()) return;
    // Prepare: two incidents, one of them with an attacker-chosen resource name that is HTML.
    const records = sampleAuditRecords(new Date('2026-12-01T12:00:00Z'), ['210000000001', '210000000002']);
    const hostile = { ...(records[2] as (typeof records)[number]), resource: '<img src="http://198.51.100.7/x.png">' };
    const list = incidents([...records.slice(0, 2), hostile, ...records.slice(3)]);
    const file = path.join(work, 'history.html');
    fs.writeFileSync(
      file,
      renderHistoryHtml(list, {
        since: '2026-11-24T12:00:00.000Z',
        until: '2026-12-01T12:00:00.000Z',
        source: 'file audit.jsonl',
        generatedAt: 'now',
      }),
    );
    context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1100, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    // Act
    await page.goto(pathToFileURL(file).href);
    const png = path.join(work, 'history.png');
    await page.screenshot({ path: png, fullPage: true });
    // Assess: the timelines are on screen.
    expect(await page.locator('.incident').count()).toBe(2);
    expect(await page.locator('.incident').first().isVisible()).toBe(true);
    expect(await page.locator('.event').count()).toBe(4);
    expect(await page.locator('.event').nth(0).isVisible()).toBe(true);
    expect(await page.locator('.incident h2').allInnerTexts()).toEqual([
      'RELEASED CryptoCurrency:EC2/BitcoinTool.B!DNS',
      'CONTAINED UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    ]);
    expect(await page.locator('body').innerText()).toContain('<img src="http://198.51.100.7/x.png">');
    expect(await page.locator('img').count()).toBe(0);
    // The state replaced is one click away.
    await page.locator('details summary').first().click();
    expect(await page.locator('details pre').first().innerText()).toContain('sg-0web');
    // The filter hides what does not match.
    await page.fill('#filter', '210000000002');
    expect(await page.locator('.incident:not(.hidden)').count()).toBe(1);
    // Nothing but the page itself was requested.
    expect(requests).toEqual([pathToFileURL(file).href]);
    // The screenshot is a real PNG of the page.
    const bytes = fs.readFileSync(png);
    expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(bytes.readUInt32BE(16)).toBe(1100);
    expect(bytes.readUInt32BE(20)).toBeGreaterThan(300);
    fs.copyFileSync(png, path.join(os.tmpdir(), 'cordon-history-screenshot.png'));
  }, 120_000);
});
