// `pnpm demo`: the audited ExperimentService session; `pnpm demo --proxy`: WeightsLab's service behind `auditrail proxy`.
if (process.argv.includes('--proxy')) await import('./proxy-demo.js')
else await import('./demo.js')
