// Moved to @ferry/agent: kept until bench/ imports it from there.
export { agentKey } from '@ferry/agent';
