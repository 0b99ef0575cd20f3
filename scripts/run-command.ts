/** Runs a command-line task: prints its result, or one line of error and exit code 1 (no stack trace). */
export async function runCommand(task: () => Promise<string>): Promise<void> {
  try {
    const message = await task()
    process.stdout.write(`${message}\n`)
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
}
