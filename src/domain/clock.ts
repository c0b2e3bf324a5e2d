/** Epoch milliseconds now; injectable so tests control time. */
export type Clock = () => number
