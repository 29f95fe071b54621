/**
 * GET /openapi.json: the document for the route table in force, built once per table (a mapping
 * hot reload swaps the table, and with it the document).
 */
import type { Request, Response } from 'express';
import type { RouteTable, Runtime } from '../runtime';
import { openapiDocument } from './document';

const built = new WeakMap<RouteTable, string>();

export function openapiHandler(rt: Runtime): (req: Request, res: Response) => void {
  const version = (require('../../package.json') as { version: string }).version;
  return (_req, res) => {
    const table = rt.table;
    let body = built.get(table);
    if (body === undefined) {
      body = JSON.stringify(openapiDocument({ registry: rt.registry, routes: table.byId.values(), version }));
      built.set(table, body);
    }
    res.type('application/json').send(body);
  };
}
