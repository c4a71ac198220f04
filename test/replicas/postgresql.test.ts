import { replicaSuite } from './replica-suite';

// Three replicas on one fresh PostgreSQL schema (replica-suite.ts), with Redis and without it.
replicaSuite('postgresql', 'redis');
replicaSuite('postgresql', 'polling');
