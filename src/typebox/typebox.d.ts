// The types of `#typebox` (the bundle `npm run build:typebox` writes): TypeBox's own.
export * from 'typebox'
