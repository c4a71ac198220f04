import { replicaSuite } from './replica-suite';

// Three replicas on MariaDB, the app's tables under a prefix of their own (replica-suite.ts), with Redis and without it.
replicaSuite('mariadb', 'redis');
replicaSuite('mariadb', 'polling');
