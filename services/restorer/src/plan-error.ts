/** The image cannot be restored as it is: the message names the record at fault. */
export class PlanError extends Error {}
