/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): picks `threshold` of the input
 * points so that a line drawn through them keeps the shape of the full series (its peaks and dips),
 * which averaging would flatten. Every point returned is one of the input points.
 */

/**
 * Indices of the points to keep, ascending. `xs` must be ascending and as long as `ys`. With
 * `threshold >= n` every index is kept; otherwise exactly `threshold` indices, the first and the
 * last point among them (a threshold below 3 keeps only the first, or the first and last).
 */
export function lttbIndices(
  xs: readonly number[],
  ys: readonly number[],
  threshold: number,
): number[] {
  const n = xs.length
  if (ys.length !== n) throw new RangeError('lttb: xs and ys differ in length')
  if (threshold >= n) return Array.from({ length: n }, (_, i) => i)
  if (threshold < 3) return n === 0 ? [] : threshold <= 1 ? [0] : [0, n - 1]

  const x = (i: number) => xs[i] ?? 0
  const y = (i: number) => ys[i] ?? 0
  const kept = [0]
  // The n-2 inner points are split into threshold-2 buckets; one point is kept per bucket.
  const every = (n - 2) / (threshold - 2)
  let a = 0
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    // The average of the next bucket is the third corner of the triangles.
    const nextStart = Math.floor((bucket + 1) * every) + 1
    const nextEnd = Math.min(Math.floor((bucket + 2) * every) + 1, n)
    let avgX = 0
    let avgY = 0
    for (let i = nextStart; i < nextEnd; i++) {
      avgX += x(i)
      avgY += y(i)
    }
    const count = nextEnd - nextStart
    avgX /= count
    avgY /= count

    const start = Math.floor(bucket * every) + 1
    const end = Math.floor((bucket + 1) * every) + 1
    let best = start
    let bestArea = -1
    for (let i = start; i < end; i++) {
      const area = Math.abs((x(a) - avgX) * (y(i) - y(a)) - (x(a) - x(i)) * (avgY - y(a)))
      if (area > bestArea) {
        bestArea = area
        best = i
      }
    }
    kept.push(best)
    a = best
  }
  kept.push(n - 1)
  return kept
}
