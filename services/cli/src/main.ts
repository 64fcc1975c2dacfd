export async function run(argv: string[], name: string): Promise<void> { void argv; void name; }
