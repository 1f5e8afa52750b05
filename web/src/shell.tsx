/** The frame every standard app shares: header with the app name, the signed-in user, the Launchpad link and logout. */
import { useEffect, useState, type ReactNode } from 'react';
import { appHost, logout, me, type Me } from './api';
import './style.css';

export function Shell(props: { title: string; children: (user: Me) => ReactNode }) {
  const [user, setUser] = useState<Me | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    me().then(setUser, (e: Error) => setError(e.message));
  }, []);
  return (
    <>
      <header className="bar">
        <a className="home" href={appHost('launchpad')}>Ironbridge</a>
        <h1>{props.title}</h1>
        {user && (
          <span className="user">
            <span data-testid="user">{user.userName}</span> · {user.tenant}
            <button type="button" onClick={() => void logout()}>Log out</button>
          </span>
        )}
      </header>
      <main>
        {error && <p role="alert" className="error">{error}</p>}
        {user ? props.children(user) : !error && <p className="muted">Loading…</p>}
      </main>
    </>
  );
}

/** An error line under a form or panel, from the API's message. */
export function ErrorLine(props: { error: string | undefined }) {
  return props.error ? <p role="alert" className="error">{props.error}</p> : null;
}
