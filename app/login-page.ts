/**
 * The sign-in pages: a person's e-mail, password and TOTP code (or recovery code); single sign-on
 * when an IdP is configured; an API token for existing setups. No script: plain forms.
 */

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wa-analytics · ${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>wa-analytics</h1>
${body}
</main>
</body></html>`;
}

const alert = (error?: string) => (error ? `<p role="alert">${esc(error)}</p>` : '');

export function loginPage(error?: string, opts: { sso?: boolean } = {}): string {
  return page('sign in', `${alert(error)}
${opts.sso ? `<p><a id="sso" href="/login/sso">Sign in with your organisation's account</a></p>` : ''}
<form method="post" action="/login" id="person">
<label for="email">E-mail</label>
<input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<label for="code">Authenticator code or recovery code</label>
<input id="code" name="code" autocomplete="one-time-code" inputmode="numeric">
<button id="sign-in">Sign in</button>
</form>
<h2>Or with an access token</h2>
<form method="post" action="/login" id="token-form">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Sign in</button>
</form>`);
}

/** First sign-in of a local account: the authenticator secret (QR code) and recovery codes, shown once. */
export function enrolmentPage(o: { ticket: string; qr: string; secret: string; recoveryCodes: string[]; error?: string }): string {
  return page('set up your authenticator', `${alert(o.error)}
<h2>Set up two-factor sign-in</h2>
<p>Scan this code with an authenticator app, or type the key, then enter the 6-digit code it shows.</p>
<img id="qr" alt="QR code of the authenticator key" src="${esc(o.qr)}" width="220" height="220">
<p>Key: <code id="totp-secret">${esc(o.secret)}</code></p>
<p>Recovery codes, each usable once if you lose your phone. They are shown only now: keep them safe.</p>
<ul id="recovery-codes">${o.recoveryCodes.map((c) => `<li><code>${esc(c)}</code></li>`).join('')}</ul>
<form method="post" action="/login" id="enrol">
<input type="hidden" name="ticket" value="${esc(o.ticket)}">
<label for="code">Code from the app</label>
<input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required>
<button type="submit" id="confirm">Confirm and sign in</button>
</form>`);
}

/** A sign-in the service refused, and why (an IdP's answer the service cannot accept). */
export function refusedPage(reason: string): string {
  return page('sign-in refused', `<h2>Sign-in refused</h2>
<p role="alert" id="reason">${esc(reason)}</p>
<p><a href="/login">Back to sign in</a></p>`);
}

/** After single sign-on: a same-site step to the dashboards, so the SameSite=Strict cookie is sent. */
export function continuePage(to: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${esc(to)}"><title>wa-analytics</title></head>
<body><p><a href="${esc(to)}">Continue</a></p></body></html>`;
}
