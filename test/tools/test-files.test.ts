/**
 * The test runner's plan (`tools/test/files.ts`): which files share a process, and how they are
 * grouped.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SHARED, balancedGroups, isShared, testFiles } from '../../tools/test/files.ts'

test('shared files go into groups of about equal duration; an unmeasured file counts as the longest', () => {
  const durations = { a: 10, b: 6, c: 5, d: 1 }
  assert.deepEqual(balancedGroups(['a', 'b', 'c', 'd'], durations, 2), [
    ['a', 'd'],
    ['b', 'c'],
  ])
  // `new` has no duration: weighed as 10, it gets a group of its own.
  assert.deepEqual(balancedGroups(['a', 'new', 'd'], durations, 2), [['a', 'd'], ['new']])
  // More groups than files: no empty group.
  assert.deepEqual(balancedGroups(['b'], durations, 4), [['b']])
  // Every file is in exactly one group.
  const files = testFiles().filter(isShared)
  const groups = balancedGroups(files, {}, 4)
  assert.deepEqual(groups.flat().sort(), files)
})

test('every SHARED entry names test files that exist; files that start daemons are not shared', () => {
  const files = testFiles()
  for (const entry of SHARED) {
    assert.ok(
      files.some((f) => (entry.endsWith('/') ? f.startsWith(entry) : f === entry)),
      `${entry} matches no test file`,
    )
  }
  for (const dir of ['test/cli/', 'test/daemon/', 'test/e2e/', 'test/sync/', 'test/crash/']) {
    assert.equal(
      files.filter((f) => f.startsWith(dir) && isShared(f)).length,
      0,
      `${dir} runs its files in their own processes`,
    )
  }
})
