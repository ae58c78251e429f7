/**
 * A local chat sink for rehearsals and tests: stands in for the Teams Workflows and Slack webhooks
 * (which cannot be reached here), records what was posted, and can be down or slow on purpose.
 */
import { createServer, type Server } from 'node:http';

export type SinkMode = 'up' | 'down' | 'slow';

export interface SinkMessage {
  channel: 'teams' | 'slack';
  at: number;
  body: unknown;
}

export interface ChatSink {
  url: string;
  messages: SinkMessage[];
  /** Requests refused while down (503) or answered late while slow. */
  refused: number;
  setMode(channel: 'teams' | 'slack', mode: SinkMode): void;
  close(): Promise<void>;
}

export async function startChatSink(modes: Partial<Record<'teams' | 'slack', SinkMode>> = {}, slowMs = 15_000): Promise<ChatSink> {
  const mode: Record<'teams' | 'slack', SinkMode> = { teams: modes.teams ?? 'up', slack: modes.slack ?? 'up' };
  const messages: SinkMessage[] = [];
  let refused = 0;
  const server: Server = createServer((req, res) => {
    const channel = req.url?.startsWith('/slack') ? 'slack' : 'teams';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode[channel] === 'down') {
        refused++;
        res.writeHead(503, { 'retry-after': '1' }).end('down for the rehearsal');
        return;
      }
      const answer = () => {
        let body: unknown = null;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = Buffer.concat(chunks).toString('utf8');
        }
        messages.push({ channel, at: Date.now(), body });
        res.writeHead(channel === 'slack' ? 200 : 202, { 'content-type': 'text/plain' }).end(channel === 'slack' ? 'ok' : '');
      };
      if (mode[channel] === 'slow') {
        refused++;
        setTimeout(answer, slowMs).unref();
      } else answer();
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    get refused() {
      return refused;
    },
    setMode: (channel, m) => {
      mode[channel] = m;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
