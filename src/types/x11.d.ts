// The parts of the pure-JavaScript `x11` client Daybook uses (the package ships no types).
declare module 'x11' {
  interface XEvent {
    name: string
    wid?: number
    atom?: number
  }
  interface XProperty {
    type: number
    data: Buffer
  }
  type Callback<T> = (err: Error | null | undefined, value: T) => void
  interface XClient {
    InternAtom(onlyIfExists: boolean, name: string, cb: Callback<number>): void
    GetProperty(
      del: number,
      wid: number,
      atom: number,
      type: number,
      offset: number,
      length: number,
      cb: Callback<XProperty>,
    ): void
    ChangeWindowAttributes(wid: number, values: { eventMask: number }, cb?: Callback<unknown>): void
    require(ext: string, cb: Callback<unknown>): void
    on(event: 'event', listener: (ev: XEvent) => void): void
    on(event: 'error', listener: (err: Error) => void): void
    on(event: 'end' | 'close', listener: () => void): void
    terminate(): void
  }
  interface XDisplay {
    client: XClient
    screen: { root: number }[]
  }
  const x11: {
    createClient(
      options: { display?: string | undefined },
      cb: Callback<XDisplay>,
    ): { on(event: 'error', listener: (err: Error) => void): void }
    eventMask: Record<string, number>
  }
  export default x11
}
