/** A bare visit: how to sign in (the link of `daybook open`), or paste a token. */
import { useState } from 'preact/hooks'

export function SignIn(props: { error: string | undefined; onToken: (token: string) => void }) {
  const [token, setToken] = useState('')
  return (
    <main class="signin" data-testid="sign-in">
      <h1>Daybook</h1>
      {props.error ? (
        <p class="error" role="alert" data-testid="sign-in-error">
          {props.error}
        </p>
      ) : null}
      <p>
        Run <code>daybook open</code> on this machine: it opens this page signed in (or prints the
        link to open). Each link works once, for two minutes.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (token.trim() !== '') props.onToken(token.trim())
        }}
      >
        <label>
          Or paste a token{' '}
          <input
            type="password"
            autoComplete="off"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </label>{' '}
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">The token is kept for this tab only (session storage).</p>
    </main>
  )
}
