// pgpass (the ~/.pgpass reader node-postgres itself uses) ships no types.
declare module 'pgpass' {
  function pgpass(connInfo: { host: string; port: string; database: string; user: string }, cb: (password: string | undefined) => void): void;
  export default pgpass;
}
