// The live status page (GET /) in a real headless browser (Debian's chromium, over the DevTools
// protocol): the page stays open while the test crashes a partition's leader over HTTP, and its
// rendered DOM follows — new leader, ISR without the crashed broker, the row highlighted as
// under-replicated, the broker shown stopped, the election in the events — then the broker's
// return. Screenshots go to test-output/ (MINIKAFKA_TEST_OUTPUT overrides).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { Browser, chromiumBinary, type Page } from './support/chromium.js';
import { untilValue as until } from './support/coordinator.js';

const CHROMIUM = chromiumBinary();
if (!CHROMIUM) console.warn('status page test skipped: no chromium (apt-get install -y chromium)');
const OUTPUT = process.env.MINIKAFKA_TEST_OUTPUT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-output');

let cluster: Cluster;
let browser: Browser | null = null;

beforeAll(async () => {
  if (!CHROMIUM) return;
  cluster = await startCluster({
    brokers: 3,
    inMemory: true,
    httpPort: 0,
    config: { 'broker.session.timeout.ms': 1000, 'broker.heartbeat.interval.ms': 100, 'offsets.topic.num.partitions': 1 },
  });
  browser = Browser.launch(CHROMIUM);
});

afterAll(async () => {
  await browser?.close();
  await cluster?.close();
});

interface Row {
  leader: number;
  isr: string;
  cls: string;
  leaderText: string;
  isrText: string;
}

const rowOf = (page: Page, topic: string, partition: number) =>
  page.evaluate<Row | null>(`(() => {
    const tr = document.querySelector('#partitions tr[data-topic=${JSON.stringify(topic)}][data-partition="${partition}"]');
    return tr && { leader: Number(tr.dataset.leader), isr: tr.dataset.isr, cls: tr.className,
      leaderText: tr.querySelector('.leader').textContent, isrText: tr.querySelector('.isr').textContent };
  })()`);

describe.skipIf(!CHROMIUM)('status page in headless chromium', () => {
  it('follows a leader crash and the broker coming back', async () => {
    await cluster.createTopic('page-orders', { partitions: 2 });
    const leader = cluster.leaderOf('page-orders', 0);
    const page = await browser!.open(`http://${cluster.httpAddress}/`);

    const before = await until('the page to draw page-orders-0 fully replicated', async () => {
      const r = await rowOf(page, 'page-orders', 0);
      return r && r.isr.split(',').length === 3 ? r : null;
    });
    expect(before.leader).toBe(leader);
    expect(before.leaderText).toBe(String(leader));
    expect(before.cls).toBe('');
    expect(await page.evaluate(`document.querySelector('[data-broker="${leader}"]').dataset.state`)).toBe('up');
    await page.screenshot(path.join(OUTPUT, 'status-page-before-crash.png'));

    // Crash the leader over the same HTTP API while the page is open.
    const res = await fetch(`http://${cluster.httpAddress}/brokers/${leader}/stop`, { method: 'POST', body: '{"crash":true}' });
    expect(res.status).toBe(200);

    const after = await until('the page to show a new leader and a shrunk ISR', async () => {
      const r = await rowOf(page, 'page-orders', 0);
      return r && r.leader !== leader && r.leader > 0 && !r.isr.split(',').includes(String(leader)) ? r : null;
    });
    expect(after.leader).toBe(cluster.leaderOf('page-orders', 0));
    expect(after.leaderText).toBe(String(after.leader));
    expect(after.isr.split(',').map(Number).sort()).toEqual(cluster.isr('page-orders', 0).sort());
    expect(after.isrText).not.toContain(String(leader));
    expect(after.cls).toBe('under'); // highlighted as under-replicated
    expect(await page.evaluate(`document.querySelector('[data-broker="${leader}"]').dataset.state`)).toBe('down');
    expect(await page.evaluate<string>(`document.getElementById('under-count').textContent`)).toMatch(/under-replicated/);
    const events = await page.evaluate<string[]>(`[...document.querySelectorAll('#events [data-kind]')].map((e) => e.dataset.kind + ' ' + e.textContent)`);
    expect(events.some((e) => e.startsWith('election') && e.includes('page-orders-0'))).toBe(true);
    expect(events.some((e) => e.startsWith('fenced') && e.includes(`broker ${leader} fenced`))).toBe(true);
    await page.screenshot(path.join(OUTPUT, 'status-page-after-crash.png'));

    await fetch(`http://${cluster.httpAddress}/brokers/${leader}/start`, { method: 'POST' });
    const healed = await until('the page to show the ISR whole again', async () => {
      const r = await rowOf(page, 'page-orders', 0);
      return r && r.isr.split(',').length === 3 && r.cls === '' ? r : null;
    });
    expect(healed.isr.split(',')).toContain(String(leader));
    expect(await page.evaluate(`document.querySelector('[data-broker="${leader}"]').dataset.state`)).toBe('up');
    await page.screenshot(path.join(OUTPUT, 'status-page-after-restart.png'));
  });

  it('renders client-chosen names (a group id with markup) as text, not HTML', async () => {
    const groupId = '<img src=x onerror="document.title=1">';
    const kafka = new Kafka({ clientId: 'page-test', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId, topic: 'page-orders', partitions: [{ partition: 1, offset: '0' }] });
    } finally {
      await admin.disconnect();
    }
    const page = await browser!.open(`http://${cluster.httpAddress}/`);
    const text = await until('the group row', () => page.evaluate<string | null>(`document.querySelector('#groups tr[data-group]')?.firstChild.textContent ?? null`));
    expect(text).toBe(groupId);
    expect(await page.evaluate<number>(`document.querySelectorAll('img').length`)).toBe(0);
    expect(await page.evaluate<string>('document.title')).toBe('minikafka');
  });
});
