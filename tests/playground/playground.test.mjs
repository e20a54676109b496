// The playground at / of `kompress serve`: the page renders (screenshot), a pasted log is
// compressed through /v1/explain, spans are coloured and the stats show savings.
// Needs KOMPRESS_URL (scripts/serve/playground_e2e.sh starts the service) and a Chromium
// binary (CHROMIUM, default /usr/bin/chromium from Debian's `chromium` package).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';

const url = process.env.KOMPRESS_URL;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
if (!url || !existsSync(exe)) {
  console.error(`SKIPPED playground e2e: ${!url ? 'KOMPRESS_URL not set' : exe + ' not installed (apt-get install chromium)'}`);
  process.exit(0);
}
const shot = process.env.SCREENSHOT || 'playground.png';

let log = '';
for (let i = 0; i < 220; i++) {
  if (i === 110) log += '2026-11-25T10:01:50Z ERROR db-pool: connection refused at 10.0.3.7:5432\n';
  log += `2026-11-25T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z INFO worker-${i % 4} heartbeat ok queue=0\n`;
}

const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  await page.goto(url + '/');
  assert.equal(await page.textContent('h1'), 'kompress playground');
  await page.fill('#input', log);
  await page.selectOption('#mode', 'safe');
  await page.click('#go');
  await page.waitForSelector('#coloured .evicted');
  const kept = await page.locator('#coloured .kept').count();
  const evicted = await page.locator('#coloured .evicted').count();
  assert.ok(kept > 0 && evicted > 0, `kept=${kept} evicted=${evicted}`);
  const coloured = await page.textContent('#coloured');
  assert.equal(coloured, log, 'kept + evicted spans rebuild the input exactly');
  const output = await page.textContent('#output');
  assert.ok(output.includes('ERROR db-pool: connection refused'));
  assert.ok(output.length < log.length);
  assert.match(await page.textContent('#stats'), /saved: \d+\.\d%/);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`playground e2e ok: kept=${kept} evicted=${evicted} screenshot=${shot}`);
} finally {
  await browser.close();
}
