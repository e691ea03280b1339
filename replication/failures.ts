// Temporary: importers move to reportSchema.ts.
export {
  byImportance,
  FAILURE_TYPES,
  type Failure,
  type FailureType,
  type ReplicationEvent,
} from './reportSchema.js';
