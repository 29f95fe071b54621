/**
 * The minimal fake P云: reads the request body, verifies nothing, answers the success envelope.
 * /mcoupon/event (T2's P云 call) gets a unique payload.grant_serial; every other path the
 * grant/sync answer. Only the adapter in front of it is meant to cost anything.
 */
import { createServer } from 'node:http';
import { listenLoopback, type Started } from './listen';

const HEADERS = { 'content-type': 'application/json;charset=UTF-8' };

export function answerFor(path: string, seq: number): string {
  if (path.endsWith('/mcoupon/event')) {
    return JSON.stringify({ code: '1001', message: '派发成功', seqno: `s${seq}`, payload: { grant_serial: `G${process.pid}-${seq}` } });
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
