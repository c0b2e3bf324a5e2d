/** The store conformance suite over the SQLite store (`conformanceOf` in `stores.ts`). */
import { conformanceOf } from './stores.ts'

await conformanceOf('sqlite')
