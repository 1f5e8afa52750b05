/**
 * The one form block every create/edit panel of the standard apps shares: a titled panel with an inline form
 * whose submit is prevented, handed the form's fields, and whose failure shows the API's message under the form
 * (success clears it and, for a create, resets the form).
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ErrorLine } from './shell';

export const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A trimmed text field of a submitted form. */
export const field = (f: FormData, name: string): string => String(f.get(name) ?? '').trim();

export function FormPanel(props: {
  title: string; submit: string; children: ReactNode; onSubmit(f: FormData): Promise<void>;
  /** Reset the fields after success (a create form); an edit form keeps them. */
  reset?: boolean; extra?: ReactNode; testId?: string;
}) {
  const id = useId();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    setBusy(true);
    try {
      await props.onSubmit(new FormData(form));
      setError(undefined);
      if (props.reset !== false) form.reset();
    } catch (err) {
      setError(msg(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby={id} data-testid={props.testId}>
      <h2 id={id}>{props.title}</h2>
      <form className="inline" onSubmit={(e) => void submit(e)}>
        {props.children}
        <button type="submit" className="primary" disabled={busy}>{props.submit}</button>
      </form>
      {props.extra}
      <ErrorLine error={error} />
    </section>
  );
}
