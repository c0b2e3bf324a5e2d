/**
 * ActivityWatch queries nested too deep for the parser and the evaluator (both recurse once per
 * level) are refused as a parsing error naming the limit; a query 3,000 parentheses deep was a
 * 500 (the fuzzer found it).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_QUERY_DEPTH } from '../../../src/domain/activitywatch/query/parse.ts'
import { startAw } from './helpers.ts'

const PERIOD = ['2025-09-11T00:00:00Z/2025-09-12T00:00:00Z']

test('a query nested past the limit is a 400 naming it; within it, it runs', async (t) => {
  const { admin } = await startAw(t)
  const run = (query: string) =>
    admin({ method: 'POST', url: '/api/0/query', payload: { timeperiods: PERIOD, query: [query] } })
  const n = 5000
  for (const deep of [
    `RETURN = ${'('.repeat(n)}1${')'.repeat(n)};`,
    `RETURN = ${'['.repeat(n)}${']'.repeat(n)};`,
    `RETURN = ${'{"a": '.repeat(n)}1${'}'.repeat(n)};`,
    `RETURN = ${'sum_durations('.repeat(n)}1${')'.repeat(n)};`,
    `RETURN = 1${' + 1'.repeat(n)};`,
    `${'if true { '.repeat(n)}RETURN = 1;${' }'.repeat(n)}`,
  ]) {
    const res = await run(deep)
    assert.equal(res.statusCode, 400, deep.slice(0, 40))
    assert.match(
      res.json().message,
      new RegExp(`ParsingError: the query nests more than ${MAX_QUERY_DEPTH} levels deep`),
    )
  }
  const within = await run(`RETURN = ${'['.repeat(60)}1${']'.repeat(60)};`)
  assert.equal(within.statusCode, 200, within.body)
  assert.equal(within.body, `[${'['.repeat(60)}1.0${']'.repeat(60)}]`)
  const sum = await run(`RETURN = 1${' + 1'.repeat(50)};`)
  assert.equal(sum.body, '[51.0]')
})
