/** Saving what the page made as a file (the browser's own download; nothing leaves the page). */

/** Hands `text` to the browser as a file download named `name`. */
export function download(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  // The download has its own copy once started; the URL only keeps the blob alive.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
