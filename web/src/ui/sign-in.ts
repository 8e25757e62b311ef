// Credentials for a bridge started with --token or --auth-user: asked for
// when the bridge refuses the page's requests, kept for this tab only
// (sessionStorage), and sent as the Authorization header.
import { h } from '../dom.js';

const KEY = 'sisock-monitor-authorization';

export function storedAuthorization(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function forgetAuthorization(): void {
  sessionStorage.removeItem(KEY);
}

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** A modal form; on submit the header is stored and the page reloads. */
export function signInDialog(refused: boolean): HTMLElement {
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', placeholder: 'token' });
  const user = h('input', { type: 'text', name: 'user', autocomplete: 'username', placeholder: 'user' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', placeholder: 'password' });
  const problem = h('p.error-text', { hidden: !refused }, 'The bridge refused these credentials.');
  const form = h(
    'form.sign-in',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        const header = token.value.trim()
          ? `Bearer ${token.value.trim()}`
          : user.value !== ''
            ? `Basic ${base64(`${user.value}:${password.value}`)}`
            : null;
        if (!header) {
          problem.textContent = 'Give a token, or a user and password.';
          problem.hidden = false;
          return;
        }
        sessionStorage.setItem(KEY, header);
        location.reload();
      },
    },
    h('h2', null, 'Sign in to the sisock bridge'),
    h('p.muted', null, 'This bridge asks for credentials: its token (--token), or its user and password (--auth-user, --auth-password). They are kept in this tab only.'),
    h('label', null, 'Token', token),
    h('p.or', null, 'or'),
    h('label', null, 'User', user),
    h('label', null, 'Password', password),
    problem,
    h('button.action', { type: 'submit' }, 'Sign in'),
  );
  return h('div.sign-in-backdrop', { role: 'dialog', 'aria-modal': 'true' }, form);
}
