export { collectReport, createReportCollector } from './report-collector.js'
export type { ReportCollector, ReportOptions } from './report-collector.js'
export { embedJson, renderReport } from './render-report.js'
export type { RenderOptions } from './render-report.js'
export type {
  CappedSeries,
  CheckpointPoint,
  EmbeddedEvent,
  HyperparameterPoint,
  ReportData,
  ReportFinding,
  ReportIntegrity,
  TimeBins,
  TrainingPoint,
} from './report-data.js'
