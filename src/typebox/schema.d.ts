// The types of `#typebox/schema` (the bundle `npm run build:typebox` writes): TypeBox's own.
export * from 'typebox/schema'
export { default } from 'typebox/schema'
