import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../app/logger.ts';
import { channelsOf } from '../../reports/alerts/channels.ts';
import { alertsConfigSchema } from '../../reports/alerts/config.ts';
import { createDeliverer } from '../../reports/alerts/delivery.ts';
import type { AlertMessage } from '../../reports/alerts/message.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { openTestWarehouse, rows } from '../helpers/warehouse.ts';

// A burst of firings (a thousand rules can fire in one evaluation) is handed to the channels after
// the evaluation's turn, and at most `concurrency` sends run at once against a relay.

let wh: Warehouse;
const held: ServerResponse[] = [];
const bodies: string[] = [];
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    bodies.push(body);
    held.push(res);
    server.emit('held', held.length);
  });
});

beforeAll(async () => {
  wh = await openTestWarehouse();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterAll(async () => {
  server.close();
  await wh?.close();
});

const message = (i: number): AlertMessage => ({
  firing_id: `burst-${i}`, rule_id: 'burst', kind: 'sla_breached', title: 'Waits past their SLA due time', state: 'firing',
  at: '2026-03-02T12:00:00.000Z', count: 1, items: [], more: 0, link: 'http://localhost/dashboards/managers', recipient: 'ops',
});

describe('a burst of deliveries', () => {
  it('starts after the turn that handed it over and sends at most `concurrency` at once', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const config = alertsConfigSchema.parse({});
    const [channel] = channelsOf({ id: 'ops', role: 'manager', wabas: 'all', zone: 'UTC', webhook: { url, secret: 'a-secret-of-16-chars' } }, config, undefined);
    // The real webhook channel, counted: how many sends were started and how many run at once.
    let started = 0, running = 0, most = 0;
    const counted = { name: channel!.name, send: async (m: AlertMessage) => {
      started++;
      most = Math.max(most, ++running);
      try {
        return await channel!.send(m);
      } finally {
        running--;
      }
    } };
    const audited: string[] = [];
    const deliverer = createDeliverer({
      wh, log: createLogger('test', 'silent'), attempts: 1, backoffMs: 1, concurrency: 4,
      audit: { record: async (e) => void audited.push(String((e.params as { firing_id: string }).firing_id)) },
    });
    for (let i = 0; i < 20; i++) deliverer.deliver(message(i), [counted]);
    expect(started).toBe(0);

    // Four requests reach the relay and are held there: every delivery has begun, four are sending.
    while (held.length < 4) await once(server, 'held');
    expect(started).toBe(4);
    expect(running).toBe(4);
    // Answered one by one as they come, the rest go through four at a time.
    const answer = () => held.splice(0).forEach((res) => res.writeHead(200).end());
    server.on('held', answer);
    answer();
    await deliverer.idle();
    server.off('held', answer);

    expect(started).toBe(20);
    expect(most).toBe(4);
    expect(bodies.map((b) => (JSON.parse(b) as AlertMessage).firing_id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `burst-${i}`).sort());
    expect(audited.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `burst-${i}`).sort());
    const log = await rows<{ n: string }>(wh, `SELECT count() AS n FROM {{db}}.alert_deliveries_v1 WHERE rule_id = 'burst' AND outcome = 'delivered'`);
    expect(Number(log[0]!.n)).toBe(20);
  });
});
