// Our proto/weightslab/experiment_service.proto must stay wire-compatible with WeightsLab's own file for every
// RPC and message it declares. WeightsLab's file lives outside the repository (../shared/weightslab, absent from a
// fresh clone), so the comparison runs only where it exists; elsewhere only our own file is checked, under a test
// name that says so, rather than a skipped test that looks like a pass.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as protoLoader from '@grpc/proto-loader'
import { describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const ourProto = path.join(repoRoot, 'proto/weightslab/experiment_service.proto')
const realProto = path.resolve(repoRoot, '../shared/weightslab/experiment_service.proto')

const listedMethods = [
  'ExperimentCommand', 'EditDataSample', 'ApplyDataQuery', 'RestoreCheckpoint', 'RenameExperimentRun',
  'SetExperimentRunNotes', 'TriggerEvaluation', 'CancelEvaluation', 'GetEvaluationStatus', 'GetDataSamples',
  'GetLatestLoggerData', 'ListExperimentRuns', 'GetPointCloud', 'GetMedia', 'RunNotebookCell',
  'InterruptNotebookCell', 'SaveNotebook', 'GetNotebook', 'GenerateNotebookCode', 'CheckAgentHealth',
] as const
const serverStreaming = new Set(['GetPointCloud', 'GetMedia', 'RunNotebookCell'])

// proto-loader's own `type` objects are written with defaults, so a field outside any oneof reads as
// oneofIndex 0; decoding its file descriptors with the descriptor types of the protobufjs it ships tells the two apart.
const loaderRequire = createRequire(createRequire(import.meta.url).resolve('@grpc/proto-loader'))
interface DescriptorType {
  decode(bytes: Uint8Array): unknown
  toObject(message: unknown, options: { enums: StringConstructor }): unknown
}
const descriptor = loaderRequire('protobufjs/ext/descriptor') as { FileDescriptorProto: DescriptorType }

interface FieldDesc { name: string; number: number; label: string; type: string; typeName?: string | null; oneofIndex?: number | null }
interface MessageDesc { name: string; field?: FieldDesc[]; nestedType?: MessageDesc[]; oneofDecl?: { name: string }[] }
interface EnumDesc { name: string; value?: { name: string; number: number }[] }
interface FileDesc { package?: string; messageType?: MessageDesc[]; enumType?: EnumDesc[] }

/** A field as the wire sees it: number, type, label, type name and the oneof it belongs to. */
interface WireField { number: number; type: string; label: string; typeName: string; oneof: string | null }
interface WireMethod { path: string; requestType: string; responseType: string; requestStream: boolean; responseStream: boolean }
interface Loaded {
  methods: Map<string, WireMethod>
  messages: Map<string, Map<string, WireField>>
  enums: Map<string, Map<string, number>>
}

function load(file: string): Loaded {
  const definition = protoLoader.loadSync(file, { keepCase: true })
  const service = definition['ExperimentService'] as protoLoader.ServiceDefinition | undefined
  if (service === undefined) throw new Error(`${file}: no top-level ExperimentService`)
  const methods = new Map<string, WireMethod>()
  for (const [name, method] of Object.entries(service)) {
    methods.set(name, {
      path: method.path,
      requestType: ((method.requestType as protoLoader.MessageTypeDefinition<object, object>).type as { name: string }).name,
      responseType: ((method.responseType as protoLoader.MessageTypeDefinition<object, object>).type as { name: string }).name,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
    })
  }
  const messages = new Map<string, Map<string, WireField>>()
  const enums = new Map<string, Map<string, number>>()
  const addMessage = (message: MessageDesc, prefix: string): void => {
    const fields = new Map<string, WireField>()
    for (const f of message.field ?? []) {
      const oneofIndex = f.oneofIndex ?? null
      fields.set(f.name, {
        number: f.number,
        type: f.type,
        label: f.label,
        typeName: f.typeName ?? '',
        oneof: oneofIndex === null ? null : (message.oneofDecl?.[oneofIndex]?.name ?? `#${oneofIndex}`),
      })
    }
    messages.set(prefix + message.name, fields)
    for (const nested of message.nestedType ?? []) addMessage(nested, `${prefix}${message.name}.`)
  }
  const firstType = Object.values(definition).find((entry) => 'fileDescriptorProtos' in entry)
  for (const bytes of (firstType as protoLoader.MessageTypeDefinition<object, object> | undefined)?.fileDescriptorProtos ?? []) {
    const file = descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes), { enums: String }) as FileDesc
    for (const message of file.messageType ?? []) addMessage(message, file.package ? `${file.package}.` : '')
    for (const e of file.enumType ?? []) enums.set(e.name, new Map((e.value ?? []).map((v) => [v.name, v.number])))
  }
  return { methods, messages, enums }
}

/** Every message our file declares that its listed methods reach, directly or through fields. */
function reachable(ours: Loaded): string[] {
  const seen = new Set<string>()
  const visit = (name: string): void => {
    const fields = ours.messages.get(name)
    if (fields === undefined || seen.has(name)) return
    seen.add(name)
    for (const f of fields.values()) if (f.type === 'TYPE_MESSAGE') visit(f.typeName.replace(/^\./, ''))
  }
  for (const m of ours.methods.values()) { visit(m.requestType); visit(m.responseType) }
  return [...seen].sort()
}

describe('proto/weightslab/experiment_service.proto', () => {
  it(`loads and declares every listed WeightsLab RPC${existsSync(realProto) ? '' : ' (WeightsLab\'s own file absent at ../shared/weightslab: compatibility not checked here)'}`, () => {
    const ours = load(ourProto)
    expect([...ours.methods.keys()].sort()).toEqual([...listedMethods].sort())
    for (const name of listedMethods) {
      const method = ours.methods.get(name)
      expect(method?.path, name).toBe(`/ExperimentService/${name}`)
      expect(method?.responseStream, name).toBe(serverStreaming.has(name))
      expect(method?.requestStream, name).toBe(false)
    }
    // Every message reached from a method is declared, so the file is self-contained.
    for (const name of reachable(ours)) expect(ours.messages.has(name), name).toBe(true)
  })

  if (existsSync(realProto)) {
    it('[needs ../shared/weightslab] matches WeightsLab\'s proto for every method, message field and enum value it declares', () => {
      const ours = load(ourProto)
      const real = load(realProto)
      for (const [name, method] of ours.methods) expect(real.methods.get(name), `method ${name}`).toEqual(method)
      for (const [message, fields] of ours.messages) {
        const realFields = real.messages.get(message)
        expect(realFields, `message ${message}`).toBeDefined()
        for (const [field, wire] of fields) expect(realFields?.get(field), `${message}.${field}`).toEqual(wire)
        // A field we left out would be skipped silently on decode; there must be none.
        expect([...(realFields?.keys() ?? [])].sort(), `fields of ${message}`).toEqual([...fields.keys()].sort())
      }
      for (const [name, values] of ours.enums) expect(real.enums.get(name), `enum ${name}`).toEqual(values)
      // And everything our methods reach is declared by us, not only by them.
      expect(reachable(ours).length).toBeGreaterThan(40)
    })
  }
})
