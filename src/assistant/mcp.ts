/**
 * Daybook as an MCP server: the assistant's tools, the `standup` and `timesheet` prompts, and
 * the `daybook://today` and `daybook://week` reports. One server definition for both transports:
 * `daybook mcp` (stdio) and `POST /mcp` (Streamable HTTP on the daemon).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import * as z from 'zod'
import { DAYBOOK_VERSION } from '../version.ts'
import { type ToolContext, describeToolFailure } from './context.ts'
import { markdownReport, standupText, timesheetText } from './reports.ts'
import { TOOLS, runTool } from './tools.ts'

const INSTRUCTIONS =
  "Daybook records where the person's time goes (projects, apps, files, sites, time away) on " +
  'their own machine. Call get_capabilities first for the dates, devices and time zone. Numbers ' +
  'are active seconds: overlapping activity counted once, time away from the keyboard left out. ' +
  'Never guess a number: ask a tool.'

/**
 * A prompt's or report's text; a failure (a refused token, no daemon) becomes an error in the
 * same words a tool would use, which the client shows.
 */
async function readable(name: string, make: () => Promise<string>): Promise<string> {
  try {
    return await make()
  } catch (err) {
    throw new Error(describeToolFailure(err, { name, scope: 'read_only' }))
  }
}

/**
 * The MCP server over `context`, which is asked once per request: `daybook mcp` finds the daemon
 * anew each time, so a daemon started (or restarted on another port) later is found.
 */
export function buildMcpServer(context: () => ToolContext): McpServer {
  const server = new McpServer(
    { name: 'daybook', title: 'Daybook', version: DAYBOOK_VERSION },
    { instructions: INSTRUCTIONS },
  )
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: `${tool.description} Needs a token of scope ${tool.scope} or better.`,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: {
          title: tool.title,
          readOnlyHint: tool.readOnly,
          destructiveHint: false,
          idempotentHint: tool.readOnly,
          openWorldHint: false,
        },
      },
      async (args: unknown) => {
        const outcome = await runTool(tool, args, context())
        return outcome.ok
          ? {
              content: [{ type: 'text' as const, text: outcome.text }],
              structuredContent: outcome.data,
            }
          : { content: [{ type: 'text' as const, text: outcome.error }], isError: true }
      },
    )
  }

  server.registerPrompt(
    'standup',
    {
      title: 'Stand-up',
      description: 'Yesterday and today by project, with branches, ready for a stand-up update.',
    },
    async () => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: await readable('standup', () => standupText(context())) },
        },
      ],
    }),
  )
  server.registerPrompt(
    'timesheet',
    {
      title: 'Timesheet',
      description: 'A week by project and day, in hours.',
      argsSchema: {
        week: z.enum(['this_week', 'last_week']).optional().describe('Default this_week.'),
      },
    },
    async ({ week }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: await readable('timesheet', () => timesheetText(context(), week ?? 'this_week')),
          },
        },
      ],
    }),
  )

  for (const [name, period, title] of [
    ['today', 'today', "Today's report"],
    ['week', 'this_week', "This week's report"],
  ] as const) {
    const uri = `daybook://${name}`
    server.registerResource(
      name,
      uri,
      {
        title,
        description: `${title}: active time by project, app and category, as Markdown.`,
        mimeType: 'text/markdown',
      },
      async () => ({
        contents: [
          {
            uri,
            mimeType: 'text/markdown',
            text: await readable(uri, () => markdownReport(context(), period)),
          },
        ],
      }),
    )
  }
  return server
}
