/**
 * `daybook mcp`: Daybook's MCP server on stdio, for Claude Desktop, Claude Code, Cursor and the
 * other MCP clients. It talks to the running daemon like every command (its tools call the API
 * with the CLI's token), and writes nothing but the protocol to stdout.
 */
import type { ToolContext } from '../assistant/context.ts'
import { DaybookApi } from '../client/api.ts'
import { type Command, parseFlags } from './command.ts'
import { clientFlags, connect } from './connect.ts'

const HELP = `Usage: daybook mcp [options]

Serves Daybook to an MCP client (Claude Desktop, Claude Code, Cursor, ...) over stdio: tools to
ask where your time went, the standup and timesheet prompts, and today's and this week's reports.
It talks to the running daemon (start it with daybook serve); the tools act with the token's
scope (reading needs read_only or better, create_label needs data).

In the client's configuration:
  {"mcpServers": {"daybook": {"command": "daybook", "args": ["mcp"]}}}

Options:
${clientFlags}
  -h, --help      Show this help

The token is DAYBOOK_TOKEN, else <config-dir>/auth.token (the admin token); give the client a
narrower one with DAYBOOK_TOKEN=$(daybook token create --name mcp --scope read_only).
`

export const mcpCommand: Command = {
  name: 'mcp',
  help: HELP,
  async run(argv, env) {
    const { values } = parseFlags('mcp', argv, {
      'data-dir': { type: 'string' },
      'config-dir': { type: 'string' },
      url: { type: 'string' },
    })
    // The daemon is looked up at every request, as a command run then would: one started later
    // or restarted on another port is found, and until then each tool says it is not running.
    const api = new DaybookApi({
      transport: (method, path, options) =>
        connect(values, env).request(method, path, { query: options.query, body: options.body }),
    })
    const context = (): ToolContext => ({ api, now: Date.now })
    // Loaded here, not with the CLI: the SDK and zod take about a second to load.
    const [{ buildMcpServer }, { StdioServerTransport }] = await Promise.all([
      import('../assistant/mcp.ts'),
      import('@modelcontextprotocol/sdk/server/stdio.js'),
    ])
    const server = buildMcpServer(context)
    const transport = new StdioServerTransport()
    const closed = new Promise<void>((resolve) => {
      transport.onclose = resolve
      process.stdin.on('end', resolve)
    })
    await server.connect(transport)
    await closed
    await server.close()
    return 0
  },
}
