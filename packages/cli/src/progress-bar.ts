/** A progress bar on a terminal. */
export interface ProgressBar {
  /** Shows `fraction` (0 to 1) done; redraws at most ten times a second. */
  update(fraction: number): void
  /** Erases the bar. */
  done(): void
}

const WIDTH = 30

/** Draws a one-line bar with `write` (stderr), labelled `label`. Only for a TTY: it uses `\r` and an erase code. */
export function createProgressBar(write: (text: string) => void, label: string, now: () => number = Date.now): ProgressBar {
  let last = Number.NEGATIVE_INFINITY
  let shown = false
  return {
    update(fraction) {
      const t = now()
      if (t - last < 100 && fraction < 1) return
      last = t
      const filled = Math.round(Math.min(1, Math.max(0, fraction)) * WIDTH)
      write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`)
      shown = true
    },
    done() {
      if (shown) write('\r\u001b[K')
      shown = false
    },
  }
}
