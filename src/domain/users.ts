/**
 * Users of a team server: the names they may have. Each user's data is a diary of its own; a
 * name is part of where it lives (a PostgreSQL schema, a file name), so only the characters every
 * one of those takes are allowed.
 */
import { BadRequestError } from './errors.ts'

/** Lower-case letters, digits and `_`, starting with a letter; at most 32 characters. */
export const USER_NAME_RE = /^[a-z][a-z0-9_]{0,31}$/

/** The owner's name on a daemon that had no users yet: its diary is the data it already kept. */
export const OWNER_NAME = 'owner'

/** `name` if it is a valid user name; a 400 naming the rule otherwise. */
export function checkUserName(name: string): string {
  if (!USER_NAME_RE.test(name)) {
    throw new BadRequestError(
      'invalid_user_name',
      `user name ${JSON.stringify(name)} must be 1-32 lower-case letters, digits or _, starting with a letter`,
      'name',
    )
  }
  return name
}
