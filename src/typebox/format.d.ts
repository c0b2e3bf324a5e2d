// The types of `#typebox/format` (the bundle `npm run build:typebox` writes): TypeBox's own.
export * from 'typebox/format'
export { default } from 'typebox/format'
