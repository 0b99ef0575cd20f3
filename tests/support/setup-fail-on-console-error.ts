import { afterEach, beforeEach, vi, type MockInstance } from 'vitest'

let consoleError: MockInstance<typeof console.error>

beforeEach(() => {
  const original = console.error
  consoleError = vi.spyOn(console, 'error').mockImplementation((...args: Parameters<typeof console.error>) => {
    original(...args)
    throw new Error('console.error was called; mock it in the test if it is expected.')
  })
})

afterEach(() => {
  consoleError.mockRestore()
})
