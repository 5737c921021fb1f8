// express4 is the npm alias `npm:express@^4`; its API (as far as these tests use it) is typed by @types/express.
declare module 'express4' {
  import express from 'express';
  export default express;
}
