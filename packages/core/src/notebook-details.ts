import * as t from 'io-ts'

/** Codecs of WeightsLab's notebook actions (`notebook_service.py`). */
export const notebookDetailsCodecs = {
  /** `code` is the cell's first 2,000 characters; a kernel failure logs only `cell_id` (status `error`). */
  notebook_run: t.partial({ cell_id: t.string, code: t.string, elapsed_s: t.number }, 'NotebookRunDetails'),
  notebook_interrupt: t.partial({}, 'NotebookInterruptDetails'),
  /** `bytes`: the saved notebook JSON's length in characters (Python's `len`). */
  notebook_save: t.partial({ path: t.string, bytes: t.number }, 'NotebookSaveDetails'),
  /** `prompt`: its first 500 characters. */
  notebook_generate_code: t.partial({ prompt: t.string }, 'NotebookGenerateCodeDetails'),
} as const
