/** A stretch of continuous activity. */
export interface Session {
  startMs: number
  endMs: number
  activeSeconds: number
}
