import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  focusedFromGetWindows,
  loadActiveWindow,
} from '../../src/collectors/platform/get-windows.ts'
import { openDesktop } from '../../src/collectors/platform/desktop.ts'

test("macOS and Windows windows: get-windows answers become the watcher's focused window", () => {
  assert.deepEqual(
    focusedFromGetWindows({
      title: 'report.md — Visual Studio Code',
      owner: { name: 'Code', path: '/Applications/Visual Studio Code.app' },
    }),
    {
      app: 'Code',
      title: 'report.md — Visual Studio Code',
      executable: '/Applications/Visual Studio Code.app',
    },
  )
  // A browser's URL rides in the title, where the tracker finds it as it does on X11.
  assert.deepEqual(
    focusedFromGetWindows({
      title: 'Issues',
      owner: { name: 'Safari' },
      url: 'https://github.com/issues',
    }),
    { app: 'Safari', title: 'Issues - https://github.com/issues', executable: undefined },
  )
  assert.equal(focusedFromGetWindows(undefined), null, 'no focused window')
  assert.equal(focusedFromGetWindows({ title: 'x', owner: { name: ' ' } }), null, 'no owner')
})

test('without get-windows, or on a platform without a desktop source, one line says what to do', async () => {
  await assert.rejects(loadActiveWindow('darwin', 'get-windows-not-installed-here'), {
    message:
      /^watching windows on darwin needs the get-windows package, which is not installed \(.*\): run npm install get-windows in the Daybook directory, or run daybook watch input alone$/,
  })
  await assert.rejects(openDesktop({}, 'aix'), {
    message: /^no way to see the focused window on aix; run daybook watch input alone/,
  })
  await assert.rejects(openDesktop({ DISPLAY: '' }, 'linux'), { message: /no X display/ })
})
