/**
 * ActivityWatch's query language ("query2"), as aw-server-rust reads it: a lexer and a
 * recursive-descent parser for its grammar.
 *
 *   program    := (statement | ";")*
 *   statement  := if-chain | ("return" assign | assign) ";"
 *   if-chain   := "if" binop block ("elif" binop block)* ("else" block)?      block := "{" program "}"
 *   assign     := IDENT "=" binop | binop
 *   binop      := call (("+" | "-" | "*" | "/" | "%" | "==") call)*   (one precedence, left to right)
 *   call       := IDENT "(" (binop ("," binop)*)? ")" | "{" (STRING ":" binop ("," …)*)? "}"
 *               | "[" (binop ("," binop)*)? "]" | IDENT | NUMBER | STRING | BOOL | "(" binop ")"
 *
 * Strings are double-quoted; `\"` is the only escape (every other backslash stays, so a regex
 * reaches the regex engine as written). `#` starts a comment. Errors name the line and column.
 */
import { BadRequestError } from '../../errors.ts'

/** A query that cannot be read or run: a 400 whose message names the problem and where. */
export class QueryError extends BadRequestError {
  constructor(kind: string, detail: string, where?: Position) {
    super(
      'invalid_query',
      `${kind}: ${detail}${where ? ` at line ${where.line}, column ${where.column}` : ''}`,
    )
  }
}

export interface Position {
  line: number
  column: number
}

export type TokenType =
  | 'ident'
  | 'if'
  | 'elif'
  | 'else'
  | 'return'
  | 'bool'
  | 'number'
  | 'string'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '=='
  | '='
  | '('
  | ')'
  | '['
  | ']'
  | '{'
  | '}'
  | ','
  | ':'
  | ';'
  | 'end'

export interface Token {
  type: TokenType
  text: string
  /** The value of a string, number or bool token. */
  value?: string | number | boolean
  at: Position
}

const KEYWORDS: Record<string, Token['type'] | undefined> = {
  if: 'if',
  elif: 'elif',
  else: 'else',
  return: 'return',
}
const BOOLS: Record<string, boolean | undefined> = {
  true: true,
  false: false,
  True: true,
  False: false,
}
const PUNCTUATION = new Set([
  '+',
  '-',
  '*',
  '/',
  '%',
  '=',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  ';',
])

/** Splits query text into tokens (whitespace and comments dropped), ending with an `end` token. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let line = 1
  let lineStart = 0
  const at = (offset: number): Position => ({ line, column: offset - lineStart + 1 })
  while (i < source.length) {
    const ch = source[i] as string
    if (ch === '\n') {
      i++
      line++
      lineStart = i
      continue
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++
      continue
    }
    if (ch === '#') {
      while (i < source.length && source[i] !== '\n') i++
      continue
    }
    const start = i
    if (ch === '"') {
      // The longest run up to a quote that is not escaped by a backslash.
      let j = i + 1
      let closed = -1
      while (j < source.length) {
        const c = source[j]
        if (c === '\\' && source[j + 1] === '"') {
          j += 2
          continue
        }
        if (c === '"') {
          closed = j
          break
        }
        j++
      }
      if (closed === -1) throw new QueryError('ParsingError', 'unterminated string', at(start))
      const raw = source.slice(start + 1, closed)
      tokens.push({
        type: 'string',
        text: source.slice(start, closed + 1),
        value: raw.replaceAll('\\"', '"'),
        at: at(start),
      })
      // A string may span lines.
      for (let k = start; k < closed; k++) {
        if (source[k] === '\n') {
          line++
          lineStart = k + 1
        }
      }
      i = closed + 1
      continue
    }
    if (ch >= '0' && ch <= '9') {
      const m = /^[0-9]+\.?[0-9]*/.exec(source.slice(i)) as RegExpExecArray
      tokens.push({ type: 'number', text: m[0], value: Number(m[0]), at: at(start) })
      i += m[0].length
      continue
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i)) as RegExpExecArray
      const word = m[0]
      const keyword = KEYWORDS[word]
      const bool = BOOLS[word]
      if (keyword) tokens.push({ type: keyword, text: word, at: at(start) })
      else if (bool !== undefined)
        tokens.push({ type: 'bool', text: word, value: bool, at: at(start) })
      else tokens.push({ type: 'ident', text: word, value: word, at: at(start) })
      i += word.length
      continue
    }
    if (ch === '=' && source[i + 1] === '=') {
      tokens.push({ type: '==', text: '==', at: at(start) })
      i += 2
      continue
    }
    if (PUNCTUATION.has(ch)) {
      tokens.push({ type: ch as TokenType, text: ch, at: at(start) })
      i++
      continue
    }
    throw new QueryError('ParsingError', `unexpected character ${JSON.stringify(ch)}`, at(start))
  }
  tokens.push({ type: 'end', text: 'end of query', at: at(i) })
  return tokens
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '=='

export type Expr =
  | { kind: 'number'; value: number; at: Position }
  | { kind: 'string'; value: string; at: Position }
  | { kind: 'bool'; value: boolean; at: Position }
  | { kind: 'var'; name: string; at: Position }
  | { kind: 'list'; items: Expr[]; at: Position }
  | { kind: 'dict'; entries: [string, Expr][]; at: Position }
  | { kind: 'call'; name: string; args: Expr[]; at: Position }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; at: Position }
  | { kind: 'assign'; name: string; value: Expr; at: Position }
  | { kind: 'return'; value: Expr; at: Position }
  | { kind: 'if'; branches: { cond: Expr; body: Expr[] }[]; at: Position }

const BINARY = new Set<TokenType>(['+', '-', '*', '/', '%', '=='])

/**
 * How deep a query may nest: brackets, calls, lists, dicts, blocks and chains of operators. The
 * parser and the evaluator recurse once per level; a query 3,000 parentheses deep overflowed the
 * stack (a 500) before this limit.
 */
export const MAX_QUERY_DEPTH = 100

/** Parses query text into its statements. */
export function parseQuery(source: string): Expr[] {
  const tokens = tokenize(source)
  const tooDeep = (at: Position) =>
    new QueryError(
      'ParsingError',
      `the query nests more than ${MAX_QUERY_DEPTH} levels deep (brackets, calls, blocks or chained operators)`,
      at,
    )
  // How deep each expression is, so a tree the evaluator would recurse too far into is refused.
  const depths = new WeakMap<Expr, number>()
  const deep = <T extends Expr>(e: T, children: readonly Expr[]): T => {
    const d = 1 + children.reduce((m, c) => Math.max(m, depths.get(c) ?? 1), 0)
    if (d > MAX_QUERY_DEPTH) throw tooDeep(e.at)
    depths.set(e, d)
    return e
  }
  // How deep the parser itself is in brackets and blocks (it recurses before any node exists).
  let nesting = 0
  const enter = (at: Position) => {
    if (++nesting > MAX_QUERY_DEPTH) throw tooDeep(at)
  }
  let p = 0
  const peek = (k = 0): Token => tokens[Math.min(p + k, tokens.length - 1)] as Token
  const next = (): Token => {
    const t = peek()
    if (t.type !== 'end') p++
    return t
  }
  const unexpected = (t: Token, expected: string): QueryError =>
    new QueryError(
      'ParsingError',
      `expected ${expected}, found ${t.type === 'end' ? 'the end of the query' : JSON.stringify(t.text)}`,
      t.at,
    )
  const expect = (type: TokenType, expected = JSON.stringify(type)): Token => {
    const t = next()
    if (t.type !== type) throw unexpected(t, expected)
    return t
  }

  function statements(until: TokenType): Expr[] {
    const out: Expr[] = []
    for (;;) {
      const t = peek()
      if (t.type === until) return out
      if (t.type === ';') {
        next()
        continue
      }
      out.push(statement())
    }
  }

  function statement(): Expr {
    const t = peek()
    if (t.type === 'if') return ifChain()
    let e: Expr
    if (t.type === 'return') {
      next()
      const value = assign()
      e = deep({ kind: 'return', value, at: t.at }, [value])
    } else {
      e = assign()
    }
    expect(';', '";" after the statement')
    return e
  }

  function block(): Expr[] {
    enter(expect('{', '"{" to open the block').at)
    const body = statements('}')
    expect('}', '"}" to close the block')
    nesting--
    return body
  }

  function ifChain(): Expr {
    const at = next().at
    const branches = [{ cond: binop(), body: block() }]
    while (peek().type === 'elif') {
      next()
      branches.push({ cond: binop(), body: block() })
    }
    if (peek().type === 'else') {
      const elseAt = next().at
      branches.push({ cond: { kind: 'bool', value: true, at: elseAt }, body: block() })
    }
    return deep(
      { kind: 'if', branches, at },
      branches.flatMap((b) => [b.cond, ...b.body]),
    )
  }

  function assign(): Expr {
    const t = peek()
    if (t.type === 'ident' && peek(1).type === '=') {
      next()
      next()
      const value = binop()
      return deep({ kind: 'assign', name: t.text, value, at: t.at }, [value])
    }
    return binop()
  }

  function binop(): Expr {
    let left = operand()
    while (BINARY.has(peek().type)) {
      const op = next()
      const right = operand()
      left = deep({ kind: 'binary', op: op.type as BinaryOp, left, right, at: op.at }, [
        left,
        right,
      ])
    }
    return left
  }

  function list(close: TokenType): Expr[] {
    const items: Expr[] = []
    if (peek().type === close) {
      next()
      return items
    }
    for (;;) {
      items.push(binop())
      const t = next()
      if (t.type === close) return items
      if (t.type !== ',') throw unexpected(t, `"," or ${JSON.stringify(close)}`)
    }
  }

  function operand(): Expr {
    const t = next()
    enter(t.at)
    try {
      return value(t)
    } finally {
      nesting--
    }
  }

  function value(t: Token): Expr {
    switch (t.type) {
      case 'ident':
        if (peek().type === '(') {
          next()
          const args = list(')')
          return deep({ kind: 'call', name: t.text, args, at: t.at }, args)
        }
        return { kind: 'var', name: t.text, at: t.at }
      case 'number':
        return { kind: 'number', value: t.value as number, at: t.at }
      case 'string':
        return { kind: 'string', value: t.value as string, at: t.at }
      case 'bool':
        return { kind: 'bool', value: t.value as boolean, at: t.at }
      case '[': {
        const items = list(']')
        return deep({ kind: 'list', items, at: t.at }, items)
      }
      case '{': {
        const entries: [string, Expr][] = []
        if (peek().type === '}') {
          next()
          return deep({ kind: 'dict', entries, at: t.at }, [])
        }
        for (;;) {
          const key = expect('string', 'a string key')
          expect(':', '":" after the key')
          entries.push([key.value as string, binop()])
          const sep = next()
          if (sep.type === '}') {
            return deep(
              { kind: 'dict', entries, at: t.at },
              entries.map(([, e]) => e),
            )
          }
          if (sep.type !== ',') throw unexpected(sep, '"," or "}"')
        }
      }
      case '(': {
        const inner = binop()
        expect(')', '")"')
        return inner
      }
      default:
        throw unexpected(t, 'a value, a variable or a function call')
    }
  }

  const program = statements('end')
  return program
}
