/** Vite-handled imports the type checker does not know: style sheets. */
declare module '*.css';
