/**
 * A model server for the chat routes to talk to while they are fuzzed: the smallest OpenAI-
 * compatible server (a fixed answer, streamed when asked), so a chat request that reaches it
 * succeeds and any 5xx from the chat is Daybook's own (without one, the chat answers 503
 * "no model server" by design).
 */
import http from 'node:http'

export interface ModelServer {
  /** The base URL to configure (`…/v1`). */
  url: string
  close(): Promise<void>
}

export async function startModelServer(): Promise<ModelServer> {
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => (body += d))
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.endsWith('/models')) {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'stub', object: 'model' }] }))
        return
      }
      let stream = false
      try {
        stream = (JSON.parse(body) as { stream?: unknown }).stream === true
      } catch {
        // Not JSON: answered as a plain completion.
      }
      const created = Math.floor(Date.now() / 1000)
      if (stream) {
        res.setHeader('content-type', 'text/event-stream')
        const chunk = (delta: object, finish: string | null) =>
          `data: ${JSON.stringify({
            id: 'stub',
            object: 'chat.completion.chunk',
            created,
            model: 'stub',
            choices: [{ index: 0, delta, finish_reason: finish }],
          })}\n\n`
        res.write(chunk({ role: 'assistant', content: 'ok' }, null))
        res.write(chunk({}, 'stop'))
        res.end('data: [DONE]\n\n')
        return
      }
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          id: 'stub',
          object: 'chat.completion',
          created,
          model: 'stub',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      )
    })
  })
  // Idle connections stay open: closing one (after Node's 5 s) just as the daemon's client reuses
  // it made a chat request fail with 502 "cannot reach the model server" (UND_ERR_SOCKET), the
  // daemon's right answer to a model server that hung up, not a finding of the daemon's.
  server.keepAliveTimeout = 0
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = address !== null && typeof address === 'object' ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
