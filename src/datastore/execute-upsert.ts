export { executeUpsert } from './upsert/execute-upsert';
