/**
 * A component that renders again only when its props change (shallowly): what keeps a change of
 * period or grouping from re-rendering every card before the chart's request goes out.
 * (`preact/compat` has one too, but importing compat patches Preact for React code globally.)
 */
import { Component, type ComponentType, h } from 'preact'

/**
 * Props equal when every one is the same value; `ready` going from true to false is no change:
 * a card that is holding back a load has nothing new to show until it is ready again.
 */
function sameProps(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  return keys.every(
    (k) => Object.is(a[k], b[k]) || (k === 'ready' && a[k] === true && b[k] === false),
  )
}

export function memo<P extends object>(Inner: ComponentType<P>): ComponentType<P> {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      return !sameProps(this.props, next as unknown as Record<string, unknown>)
    }
    render(props: P) {
      return h(Inner, props)
    }
  }
  return Memo as ComponentType<P>
}
