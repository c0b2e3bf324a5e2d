/**
 * A search hit's snippet (`markSnippet`): the window of at most 16 words with the most distinct
 * query words, each word starting with one of them marked, accents and case aside; `…` where
 * the text was cut; the first words when only the title matched.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { markSnippet } from '../../src/domain/screenshots.ts'

const words = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `w${from + i}`).join(' ')

test('a snippet marks every word starting with a query word, around the best window', () => {
  assert.equal(
    markSnippet('Quarterly revenue chart', ['rev', 'CHART']),
    'Quarterly «revenue» «chart»',
  )
  // The window holding both words wins over an earlier one holding one.
  const text = `${words(3)} revenue ${words(30, 3)} revenue budget ${words(30, 40)}`
  assert.equal(
    markSnippet(text, ['revenue', 'budget']),
    `…w31 w32 «revenue» «budget» ${words(12, 40)}…`,
  )
  // Accents and case fold as the index folds them; punctuation between words is kept.
  assert.equal(markSnippet('Réunion: Café, 10h.', ['reunion', 'cafe']), '«Réunion»: «Café», 10h.')
})

test('a text without a match gives its first words; an empty text an empty snippet', () => {
  assert.equal(markSnippet(words(20), ['absent']), `${words(16)}…`)
  assert.equal(markSnippet('', ['x']), '')
})
