// The ceiling for this runtime: a bare node:http server that only verifies the HMAC and parses the
// JSON, answering 200. `node bin/run-ts.mjs bench/bare-server.ts <port> <secret>`
import { createServer } from 'node:http';
import { verifySignature } from '../ingest/signature.ts';

const [port, secret] = process.argv.slice(2) as [string, string];
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (!verifySignature([secret], body, req.headers['x-hub-signature-256'] as string | undefined)) {
      res.writeHead(401).end();
      return;
    }
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('EVENT_RECEIVED');
  });
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
