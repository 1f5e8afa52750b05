/** A read-only value with a copy button (the clipboard API, or the value selected for Ctrl+C where the browser refuses it). */
import { useId, useRef, useState } from 'react';

export function CopyField(props: { label: string; value: string; testId?: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setStatus('Copied');
    } catch {
      input.current?.select();
      setStatus('Selected: press Ctrl+C to copy');
    }
  };
  return (
    <div className="copyfield">
      <label htmlFor={id}>{props.label}</label>
      <input id={id} ref={input} readOnly value={props.value} data-testid={props.testId} onFocus={(e) => e.currentTarget.select()} />
      <button type="button" onClick={() => void copy()} aria-label={`Copy ${props.label}`}>Copy</button>
      <span role="status" className="muted">{status}</span>
    </div>
  );
}
