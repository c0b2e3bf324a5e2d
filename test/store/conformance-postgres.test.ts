/** The store conformance suite over the PostgreSQL store (`conformanceOf` in `stores.ts`). */
import { conformanceOf } from './stores.ts'

await conformanceOf('postgres')
