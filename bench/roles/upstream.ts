/**
 * The minimal fake P云 — and fake Tencent partner for the outbox: reads the request body,
 * verifies nothing, answers the success envelope. P云 paths (/gate/…) get P云's: /mcoupon/event
 * (T2's call) with a unique payload.grant_serial, every other the grant/sync answer; any other
 * path (an outbox notification) the Tencent success. Only the adapter in front of it is meant to
 * cost anything.
 */
import { createServer } from 'node:http';
import { listenLoopback, type Started } from './listen';

const HEADERS = { 'content-type': 'application/json;charset=UTF-8' };

const TENCENT_SUCCESS = JSON.stringify({ code: 0, message: 'successful' });

export function answerFor(path: string, seq: number): string {
  if (!path.startsWith('/gate/')) return TENCENT_SUCCESS;
  if (path.endsWith('/mcoupon/event')) {
    return JSON.stringify({
      code: '1001',
      message: '派发成功',
      seqno: `s${seq}`,
      payload: { grant_serial: `G${process.pid}-${seq}` },
    });
  }
  return JSON.stringify({ code: '1001', message: '核销成功', seqno: `s${seq}` });
}

export function startUpstream(): Promise<Started> {
  let seq = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = answerFor(req.url ?? '/', ++seq);
      res.writeHead(200, { ...HEADERS, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  return listenLoopback(server);
}
