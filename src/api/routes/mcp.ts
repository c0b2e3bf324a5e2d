/**
 * `POST /mcp`: Daybook's MCP server over Streamable HTTP (stateless: each POST is one exchange,
 * answered as JSON). The bearer token is required and checked like any route's; the Host header
 * is checked by the app, and a browser's `Origin` must be one the API allows (MCP asks servers
 * to check both against DNS rebinding). Each tool calls the API with the caller's own token, so a
 * tool's route decides what the token's scope may do.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ToolContext } from '../../assistant/context.ts'
import { ForbiddenError } from '../../domain/errors.ts'
import { injectedApi } from '../../assistant/injected-api.ts'

/** The SDK and zod take about a second to load: the daemon loads them at the first MCP request. */
function loadSdk() {
  return Promise.all([
    import('../../assistant/mcp.ts'),
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
  ]).then(([mcp, http]) => ({
    buildMcpServer: mcp.buildMcpServer,
    Transport: http.StreamableHTTPServerTransport,
  }))
}

export const mcpRoutes: FastifyPluginAsync<{
  originAllowed: (origin: string | undefined) => boolean
}> = async (app, options) => {
  let sdk: ReturnType<typeof loadSdk> | undefined

  app.addHook('onRequest', async (request) => {
    const origin = request.headers.origin
    if (origin !== undefined && !options.originAllowed(origin)) {
      throw new ForbiddenError(
        'origin_not_allowed',
        `a page from ${origin} may not use the MCP server; allow it with --cors-origin`,
      )
    }
  })

  app.post('/mcp', { config: { access: 'read' } }, async (request, reply) => {
    const { buildMcpServer, Transport } = await (sdk ??= loadSdk())
    const context: ToolContext = {
      api: injectedApi(app, request.headers.authorization),
      now: request.daybook.clock,
      scope: request.principal?.scope,
    }
    const server = buildMcpServer(() => context)
    const transport = new Transport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    // The transport writes the response itself; the headers the hooks set (CORS) go with it.
    reply.hijack()
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value)
    }
    reply.raw.on('close', () => {
      void transport.close()
      void server.close()
    })
    try {
      await server.connect(transport)
      await transport.handleRequest(request.raw, reply.raw, request.body)
    } catch (err) {
      request.log.error({ err }, 'MCP request failed')
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' })
        reply.raw.end(
          JSON.stringify({ code: 'internal', message: 'internal error; see the daemon log' }),
        )
      } else reply.raw.end()
    }
  })

  // Stateless: no server-initiated stream to GET, no session to DELETE.
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      config: { access: 'read' },
      handler: async (_request, reply) =>
        reply.code(405).header('allow', 'POST').send({
          code: 'method_not_allowed',
          message: 'this MCP server is stateless: send each JSON-RPC message with POST /mcp',
        }),
    })
  }
}
