/** The login form: takes an API token and exchanges it for an HttpOnly session cookie. */
export function loginPage(error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wa-analytics · sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>wa-analytics</h1>
<form method="post" action="/login">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
${error ? `<p role="alert">${error.replace(/[<>&"]/g, '')}</p>` : ''}
</main>
</body></html>`;
}
